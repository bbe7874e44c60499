"""Dunning: policies as data per customer segment, and a run that sends at most one notice per invoice and
level (unique constraint), asking only for the overdue amount not disputed and not promised."""

from __future__ import annotations

import logging
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from o2c_collections.config import CollectionsSettings
from o2c_collections.dunning import mailer, repository
from o2c_collections.dunning.models import DunningPolicy, NoticeStatus
from o2c_collections.dunning.schemas import PolicyRead, PolicyWrite, RunResult
from o2c_collections.receivables.models import OpenItem
from o2c_common.events.contracts.collections import DunningNoticeSent
from o2c_common.money import round_money
from o2c_common.tx import Tx

log = logging.getLogger(__name__)
SYSTEM = "system:dunning"


async def put_policy(tx: Tx, *, policy_id: str, data: PolicyWrite) -> PolicyRead:
    session = tx.session
    policy = await repository.get_policy(session, policy_id=policy_id, for_update=True)
    levels: list[dict[str, Any]] = [lv.model_dump(mode="json") for lv in sorted(data.levels, key=lambda x: x.level)]
    before = None
    if policy is None:
        policy = DunningPolicy(id=policy_id, segment=data.segment, levels=levels, version=1)
        await repository.add(session, policy)
    else:
        before = {"segment": policy.segment, "levels": policy.levels}
        policy.segment, policy.levels, policy.version = data.segment, levels, policy.version + 1
        await session.flush()
    await tx.audit("dunning.policy_saved", entity_type="dunning_policy", entity_id=policy_id, before=before,
                   after={"segment": data.segment, "levels": levels})
    return PolicyRead(id=policy.id, version=policy.version, segment=policy.segment, levels=policy.levels)


async def list_policies(tx: Tx) -> list[PolicyRead]:
    return [PolicyRead(id=p.id, version=p.version, segment=p.segment, levels=p.levels)
            for p in await repository.policies(tx.session)]


def _level_for(policy: DunningPolicy, *, days_past_due: int, amount: Decimal) -> dict[str, Any] | None:
    due = [lv for lv in policy.levels if lv["days_past_due"] <= days_past_due and amount >= Decimal(lv["min_amount"])]
    return max(due, key=lambda lv: lv["level"]) if due else None


class Outcome(StrEnum):
    """What became of one overdue invoice in a run."""

    SENT = "sent"
    ALREADY_SENT = "already_sent"
    FAILED = "failed"


@dataclass(frozen=True)
class Notice:
    """The notice an overdue invoice is due: its policy level, the amount asked, the days past due."""

    item: OpenItem
    policy: DunningPolicy
    level: dict[str, Any]
    amount: Decimal
    days: int
    recipient: str


async def run(tx: Tx, *, as_of: date, settings: CollectionsSettings) -> RunResult:
    """Sends, per overdue invoice, the highest level its days past due reach, unless already sent (in
    ``tx.actor``'s name: the supervisor who asked, or ``system:dunning`` for the daily run)."""
    session = tx.session
    run_id = uuid.uuid4()
    by_segment = {p.segment: p for p in await repository.policies(session)}
    promised: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for promise in await repository.open_promises(session, as_of=as_of):
        promised[(promise.customer_id, promise.currency)] += promise.amount - promise.paid_amount
    outcomes: Counter[Outcome] = Counter()
    skipped = 0
    for item, account in await repository.overdue_items(session, as_of=as_of):
        amount = item.open_amount - item.disputed_amount
        key = (item.customer_id, item.currency)
        covered = min(promised[key], max(amount, Decimal(0)))  # promised cash covers the oldest items first
        promised[key] -= covered
        amount -= covered
        if amount <= 0:
            skipped += 1
            continue
        policy = by_segment.get(account.segment if account else "standard")
        days = (as_of - item.due_date).days
        level = _level_for(policy, days_past_due=days, amount=amount) if policy else None
        if policy is None or level is None:
            continue
        recipient = (account.email if account else None) or settings.dunning_fallback_recipient
        outcomes[await _send(tx, Notice(item, policy, level, amount, days, recipient), run_id=run_id, as_of=as_of,
                             settings=settings)] += 1
    return RunResult(run_id=str(run_id), as_of=as_of, sent=outcomes[Outcome.SENT],
                     already_sent=outcomes[Outcome.ALREADY_SENT], skipped_disputed_or_promised=skipped,
                     failed=outcomes[Outcome.FAILED])


async def _send(tx: Tx, notice: Notice, *, run_id: uuid.UUID, as_of: date, settings: CollectionsSettings) -> Outcome:
    """The notice recorded (once per invoice and level) and mailed, then announced and audited."""
    item, level, amount = notice.item, notice.level, notice.amount
    notice_id = uuid.uuid4()
    try:
        async with tx.session.begin_nested():
            if not await repository.insert_notice(tx.session, {
                    "id": notice_id, "run_id": run_id, "invoice_id": item.invoice_id,
                    "customer_id": item.customer_id, "policy_id": notice.policy.id, "level": level["level"],
                    "channel": level["channel"], "template": level["template"], "recipient": notice.recipient,
                    "amount_due": amount, "as_of": as_of, "status": NoticeStatus.SENT}):
                return Outcome.ALREADY_SENT
            await mailer.send_notice(settings, recipient=notice.recipient,
                                     subject=f"[{level['template']}] Invoice {item.invoice_number} is overdue",
                                     body=f"Invoice {item.invoice_number}: {round_money(amount, item.currency)} "
                                          f"{item.currency} is {notice.days} days past due (due {item.due_date}).")
    except OSError:  # the mail server refused or is down: no notice row, the next run retries
        log.exception("dunning notice for %s failed", item.invoice_number)
        return Outcome.FAILED
    await tx.emit(DunningNoticeSent(
        notice_id=notice_id, run_id=run_id, invoice_id=item.invoice_id, invoice_number=item.invoice_number,
        legal_entity=item.legal_entity, customer_id=item.customer_id, owning_team=item.owning_team,
        policy_id=notice.policy.id, level=level["level"], channel=level["channel"], template=level["template"],
        currency=item.currency, amount_due=round_money(amount, item.currency), due_date=item.due_date,
        days_past_due=notice.days, sent_at=tx.now()))
    await tx.audit("dunning.notice_sent", entity_type="open_item", entity_id=item.invoice_id,
                   after={"level": level["level"], "amount": amount, "recipient": notice.recipient})
    return Outcome.SENT
