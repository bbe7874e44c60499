"""Every ORM model of the service, imported so that Base.metadata is complete (Alembic, tests)."""

from o2c_invoicing.db import Base
from o2c_invoicing.invoices.models import Invoice, InvoiceLine, InvoiceNumberSequence

__all__ = ["Base", "Invoice", "InvoiceLine", "InvoiceNumberSequence"]
