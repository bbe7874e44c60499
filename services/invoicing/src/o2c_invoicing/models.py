"""Every ORM model of the service, imported so that Base.metadata is complete (Alembic, tests)."""

from o2c_invoicing.creditnotes.models import CreditNote
from o2c_invoicing.db import Base
from o2c_invoicing.invoices.models import (
    Invoice,
    InvoiceApproval,
    InvoiceLine,
    InvoiceNumberSequence,
    InvoiceStatusChange,
    Settlement,
)
from o2c_invoicing.profiles.models import BillingProfile
from o2c_invoicing.submissions.models import Submission

__all__ = ["Base", "BillingProfile", "CreditNote", "Invoice", "InvoiceApproval", "InvoiceLine",
           "InvoiceNumberSequence", "InvoiceStatusChange", "Settlement", "Submission"]
