"""Credit-note errors (problem+json); a credit beyond what may be credited is the invoice's
(``invoices.errors.CreditExceedsOpenAmount``)."""

from __future__ import annotations

from o2c_common.errors import Forbidden, NotFound


class CreditNoteNotFound(NotFound):
    type = "credit-note-not-found"
    title = "No such credit note on this invoice"


class OverHandCreditLimit(Forbidden):
    type = "over-credit-limit"
    title = "The credit is above what one person may credit by hand"
