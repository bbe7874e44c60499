"""Invoice errors, each carrying its HTTP status (rendered as problem+json)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from o2c_common.errors import Conflict, Forbidden, NotFound, UnprocessableEntity


class InvoiceNotFound(NotFound):
    type = "invoice-not-found"
    title = "Invoice not found"


class InvalidTransition(Conflict):
    type = "invalid-transition"
    title = "Transition not allowed in this status"

    def __init__(self, *, action: str, status: str, allowed_from: Iterable[str]) -> None:
        super().__init__(f"cannot {action} an invoice that is {status}",
                         extensions={"action": action, "current_status": status, "allowed_from": sorted(allowed_from)})


class MakerCheckerViolation(Forbidden):
    type = "maker-checker"
    title = "Maker-checker rule"


class PortalRulesViolated(UnprocessableEntity):
    type = "portal-rules-violated"
    title = "The invoice violates its customer's portal rules"

    def __init__(self, violations: list[dict[str, Any]], *, step: str = "submit") -> None:
        rules = ", ".join(v["rule"] for v in violations)
        hint = "" if step == "submit" else "; an approver may override them with a reason"
        super().__init__(f"cannot {step}: {len(violations)} portal rule(s) violated ({rules}){hint}",
                         extensions={"violations": violations, "step": step})


class CreditExceedsOpenAmount(UnprocessableEntity):
    type = "credit-exceeds-open-amount"
    title = "Credit exceeds what may still be credited"
