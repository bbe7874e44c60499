"""Every ORM model of the service, imported so that Base.metadata is complete (Alembic, tests)."""

from o2c_invoicing.amendments.models import InvoiceAmendment, InvoiceDocument
from o2c_invoicing.creditnotes.models import CreditNote
from o2c_invoicing.db import Base
from o2c_invoicing.invoices.models import (
    Invoice,
    InvoiceApproval,
    InvoiceAttachment,
    InvoiceLine,
    InvoiceNumberSequence,
    InvoiceStatusChange,
    Settlement,
    SubmissionFailure,
)
from o2c_invoicing.profiles.models import BillingProfile
from o2c_invoicing.rebills.models import InvoiceRebill
from o2c_invoicing.submissions.models import Submission

__all__ = ["Base", "BillingProfile", "CreditNote", "Invoice", "InvoiceAmendment", "InvoiceApproval",
           "InvoiceAttachment", "InvoiceDocument", "InvoiceLine", "InvoiceNumberSequence", "InvoiceRebill",
           "InvoiceStatusChange", "Settlement", "Submission", "SubmissionFailure"]
