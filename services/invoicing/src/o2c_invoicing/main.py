from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from o2c_common.app import create_service_app
from o2c_common.egress import pinned_client
from o2c_common.events.contracts.collections import AccountUpdated, CreditNoteRequested, ReceivableChanged
from o2c_common.inbox import Batched, Handlers
from o2c_common.settings import ServiceSettings
from o2c_common.workers import ConsumerSpec
from o2c_invoicing.amendments.router import router as amendments_router
from o2c_invoicing.channels import validators
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.creditnotes.handlers import on_credit_note_requested_issue_credit_note
from o2c_invoicing.creditnotes.router import router as credit_notes_router
from o2c_invoicing.history.router import router as history_router
from o2c_invoicing.invoices.handlers import on_receivables_changed_mirror_settlements
from o2c_invoicing.invoices.router import lifecycle_router, router as invoices_router
from o2c_invoicing.portal.router import router as portal_router
from o2c_invoicing.profiles.handlers import on_account_updated_set_profile_team
from o2c_invoicing.profiles.router import router as profiles_router
from o2c_invoicing.rebills.router import router as rebills_router
from o2c_invoicing.reports.router import router as reports_router
from o2c_invoicing.settlements.router import router as settlements_router
from o2c_invoicing.submissions.router import router as submissions_router
from o2c_invoicing.workers import background_tasks
from o2c_invoicing.workqueues.router import router as work_queues_router

CONSUMER_GROUP = "invoicing"


HANDLERS: Handlers = {
    ReceivableChanged: Batched(on_receivables_changed_mirror_settlements),
    CreditNoteRequested: on_credit_note_requested_issue_credit_note,
    AccountUpdated: on_account_updated_set_profile_team,
}


def consumers(settings: ServiceSettings) -> list[ConsumerSpec]:
    return [ConsumerSpec(group_id=CONSUMER_GROUP, handlers=HANDLERS)]


def create_app(settings: InvoicingSettings | None = None) -> FastAPI:
    settings = settings or InvoicingSettings()
    app = create_service_app(
        settings=settings,
        title="o2c invoicing",
        description="Invoices from draft to paid: approval, submission to customers' portals, credit notes.",
        routers=[invoices_router, lifecycle_router, submissions_router, portal_router, credit_notes_router,
                 profiles_router, work_queues_router, reports_router, settlements_router,
                 amendments_router, rebills_router, history_router],
        consumers=consumers,
        background=lambda app: background_tasks(transactions=app.state.transactions, settings=settings),
    )
    service_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """The service's lifespan, plus one HTTP client for deliveries to portals (building a client costs tens
        of milliseconds; one per request was most of a submission's time), kept-alive connections included. It
        reaches only allow-listed portal hosts, on the address it checked (o2c_common.egress)."""
        async with service_lifespan(app), pinned_client(settings.portal_policy()) as client:
            app.state.portal_client = client
            if settings.validate_documents:
                validators.warm_up(settings.conformance_dir)  # background: compile the e-invoice rules
            yield

    app.router.lifespan_context = lifespan
    return app
