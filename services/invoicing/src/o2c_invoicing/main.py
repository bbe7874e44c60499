from fastapi import FastAPI

from o2c_common.app import create_service_app
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.invoices.router import router as invoices_router


def create_app(settings: InvoicingSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or InvoicingSettings(),
        title="o2c invoicing",
        description="Invoices from draft to paid: approval, submission to customers' portals, credit notes.",
        routers=[invoices_router],
    )
