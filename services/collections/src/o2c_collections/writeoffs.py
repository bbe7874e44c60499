"""Maker-checker on a requested write-off (of a deduction or a dispute): who may decide it, and up to what."""

from __future__ import annotations

from decimal import Decimal

from o2c_collections.config import CollectionsSettings
from o2c_common.errors import Conflict, Forbidden
from o2c_common.text import money, plain
from o2c_common.tx import Tx


class NoWriteOffRequested(Conflict):
    type = "no-write-off-requested"
    title = "No write-off is waiting for approval"


class SameApprover(Forbidden):
    type = "maker-checker"
    title = "The approver cannot be the requester"


class OverWriteOffLimit(Forbidden):
    type = "over-write-off-limit"
    title = "The write-off is above the approver's limit"


def check_decision(tx: Tx, *, what: str, waiting: bool, requested_by: str | None, amount: Decimal, currency: str,
                   approve: bool, settings: CollectionsSettings) -> None:
    """The decider is not the requester, and approves above ``write_off_limit`` only as an admin."""
    if not waiting:
        raise NoWriteOffRequested(f"{what} has no write-off waiting for approval")
    if tx.actor.subject == requested_by:
        raise SameApprover("the write-off was requested by you: another person approves it")
    if approve and amount > settings.write_off_limit and not tx.actor.is_admin:
        raise OverWriteOffLimit(f"{money(amount, currency)} is above the ar_supervisor write-off limit of "
                                f"{plain(settings.write_off_limit)}: an admin approves it")
