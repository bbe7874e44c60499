"""The units of O2C work the service tells apart in other services' events (the queues of capacity planning)."""

from __future__ import annotations

from enum import StrEnum


class Process(StrEnum):
    INVOICE_PREPARATION = "invoice_preparation"
    INVOICE_SUBMISSION = "invoice_submission"
    CASH_APPLICATION = "cash_application"
    DISPUTE_RESOLUTION = "dispute_resolution"
    CASE_HANDLING = "case_handling"


LABELS = {
    Process.INVOICE_PREPARATION: "Invoice preparation",
    Process.INVOICE_SUBMISSION: "Invoice submission",
    Process.CASH_APPLICATION: "Cash application",
    Process.DISPUTE_RESOLUTION: "Dispute resolution",
    Process.CASE_HANDLING: "Escalation case handling",
}
