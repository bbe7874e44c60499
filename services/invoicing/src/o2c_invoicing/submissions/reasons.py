"""Portal status codes and the reason taxonomy (``channels.reasons``: a portal's own code → normalized reason →
root-cause category)."""

from __future__ import annotations

from o2c_invoicing.channels.reasons import TAXONOMY, classify
from o2c_invoicing.submissions.models import SubmissionStatus

__all__ = ["STATUS_BY_CODE", "TAXONOMY", "classify"]

# Portal statuses (Peppol Invoice Response codes; SP and PAID are the simulator's extensions for
# "scheduled for payment" and "paid").
_S = SubmissionStatus
STATUS_BY_CODE = {"AB": _S.PORTAL_RECEIVED, "IP": _S.PORTAL_RECEIVED, "UQ": _S.PORTAL_RECEIVED,
                  "RE": _S.PORTAL_REJECTED, "AP": _S.PORTAL_APPROVED, "CA": _S.PORTAL_APPROVED,
                  "PD": _S.SCHEDULED_FOR_PAYMENT, "SP": _S.SCHEDULED_FOR_PAYMENT, "PAID": _S.PORTAL_PAID}
