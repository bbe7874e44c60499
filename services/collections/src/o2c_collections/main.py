from fastapi import FastAPI

from o2c_collections.aging.router import router as aging_router
from o2c_collections.cashapp.router import patterns_router as cashapp_patterns_router, router as cashapp_router
from o2c_collections.config import CollectionsSettings
from o2c_collections.credit.router import holds_router, router as credit_router
from o2c_collections.deductions.router import router as deductions_router
from o2c_collections.disputes.handlers import on_invoice_portal_rejected_open_dispute_when_charge_contested
from o2c_collections.disputes.router import router as disputes_router
from o2c_collections.dunning.router import router as dunning_router
from o2c_collections.escalations.router import router as escalations_router
from o2c_collections.master.router import router as accounts_router
from o2c_collections.payments.router import imports_router, router as payments_router
from o2c_collections.promises.router import router as promises_router
from o2c_collections.receivables.handlers import (
    on_credit_note_issued_reduce_receivable,
    on_invoices_issued_open_receivables,
)
from o2c_collections.receivables.router import balances_router, router as receivables_router
from o2c_collections.risk.router import router as risk_router
from o2c_collections.workers import background_tasks
from o2c_collections.worklists.router import router as worklists_router
from o2c_common.app import create_service_app
from o2c_common.events.contracts.invoicing import CreditNoteIssued, InvoiceIssued, InvoicePortalRejected
from o2c_common.inbox import Batched, Handlers
from o2c_common.settings import ServiceSettings
from o2c_common.workers import ConsumerSpec

HANDLERS: Handlers = {
    InvoiceIssued: Batched(on_invoices_issued_open_receivables),
    CreditNoteIssued: on_credit_note_issued_reduce_receivable,
    InvoicePortalRejected: on_invoice_portal_rejected_open_dispute_when_charge_contested,
}


def consumers(settings: ServiceSettings) -> list[ConsumerSpec]:
    return [ConsumerSpec(group_id="collections", handlers=HANDLERS)]


def create_app(settings: CollectionsSettings | None = None) -> FastAPI:
    settings = settings or CollectionsSettings()
    return create_service_app(
        settings=settings,
        title="o2c collections",
        description="The AR ledger: receivables, payments, cash application, deductions, disputes, dunning.",
        routers=[receivables_router, balances_router, aging_router, payments_router, cashapp_router,
                 cashapp_patterns_router, imports_router, deductions_router, disputes_router, promises_router,
                 dunning_router, worklists_router, credit_router, accounts_router, holds_router, escalations_router,
                 risk_router],
        consumers=consumers,
        background=lambda app: background_tasks(transactions=app.state.transactions, settings=settings),
    )
