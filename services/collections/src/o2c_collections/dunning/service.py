"""Dunning: policies as data per customer segment (two seeded), templates per language, and a run that sends one
statement per customer, currency and level listing every overdue invoice (the amount not disputed and not
promised), never skipping a level; a statement that cannot be sent keeps its reason (API, event) and the next run
tries it again."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from o2c_collections.accounts.models import Account
from o2c_collections.config import CollectionsSettings
from o2c_collections.dunning import mailer, repository, statements
from o2c_collections.dunning.models import (
    DunningPolicy,
    DunningStatement,
    DunningTemplate,
    FailureReason,
    StatementStatus,
)
from o2c_collections.dunning.schemas import (
    PolicyRead,
    PolicyWrite,
    RunRead,
    RunResult,
    StatementLine,
    StatementOutcome,
    StatementRead,
    TemplateRead,
    TemplateWrite,
)
from o2c_collections.dunning.statements import Line, Slot
from o2c_common.errors import Conflict, NotFound, UnprocessableEntity
from o2c_common.events.contracts.collections import DunningStatementFailed, DunningStatementSent, StatementItem
from o2c_common.http import Page, PageRequest
from o2c_common.money import round_money
from o2c_common.tx import Tx

SYSTEM = "system:dunning"


class SegmentTaken(Conflict):
    type = "dunning-segment-taken"
    title = "Segment has a policy"


SAMPLE = {"customer_name": "Acme", "customer_id": "C-1", "level": 1, "total_due": "1.00 USD", "items": "",
          "as_of": "2026-01-01", "currency": "USD", "sender": "AR"}


async def put_policy(tx: Tx, *, policy_id: str, data: PolicyWrite) -> PolicyRead:
    session = tx.session
    policy = await repository.get_policy(session, policy_id=policy_id, for_update=True)
    levels: list[dict[str, Any]] = [lv.model_dump(mode="json") for lv in sorted(data.levels, key=lambda x: x.level)]
    before = None
    holder = await repository.policy_of_segment(session, segment=data.segment)
    if holder is not None and holder.id != policy_id:
        raise SegmentTaken(f"the segment {data.segment!r} already has the policy {holder.id!r}: change that one",
                           extensions={"segment": data.segment, "policy_id": holder.id})
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


async def list_templates(tx: Tx) -> list[TemplateRead]:
    return [TemplateRead.model_validate(t, from_attributes=True) for t in await repository.templates(tx.session)]


async def put_template(tx: Tx, *, template: str, language: str, data: TemplateWrite) -> TemplateRead:
    """Creates or replaces a template's text in one language; its fields are checked by filling them."""
    for name, text in (("subject", data.subject), ("body", data.body)):
        try:
            text.format(**SAMPLE)
        except (KeyError, IndexError, ValueError) as exc:
            raise UnprocessableEntity(f"the {name} uses an unknown or malformed field: {exc}",
                                      type="invalid-template", title="Invalid template") from exc
    row = await repository.get_template(tx.session, template=template, language=language, for_update=True)
    before = None
    if row is None:
        row = DunningTemplate(template=template, language=language, subject=data.subject, body=data.body, version=1)
        await repository.add(tx.session, row)
    else:
        before = {"subject": row.subject, "body": row.body}
        row.subject, row.body, row.version = data.subject, data.body, row.version + 1
        await tx.session.flush()
    await tx.audit("dunning.template_saved", entity_type="dunning_template", entity_id=f"{template}/{language}",
                   before=before, after={"subject": data.subject, "body": data.body})
    return TemplateRead.model_validate(row, from_attributes=True)


async def run(tx: Tx, *, as_of: date, settings: CollectionsSettings) -> RunResult:
    """One statement per customer and currency whose next level is due (in ``tx.actor``'s name: the supervisor who
    asked, or ``system:dunning`` for the daily run)."""
    session = tx.session
    run_id = uuid.uuid4()
    by_segment = {p.segment: p for p in await repository.policies(session)}
    texts = {(t.template, t.language): t for t in await repository.templates(session)}
    promised: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for promise in await repository.open_promises(session, as_of=as_of):
        promised[(promise.customer_id, promise.currency)] += promise.amount - promise.paid_amount
    groups: dict[tuple[str, str], tuple[Account | None, list[Line]]] = {}
    skipped = 0
    for item, account in await repository.overdue_items(session, as_of=as_of):
        key = (item.customer_id, item.currency)
        amount = item.open_amount - item.disputed_amount
        covered = min(promised[key], max(amount, Decimal(0)))  # promised cash covers the oldest items first
        promised[key] -= covered
        amount = round_money(amount - covered, item.currency)
        if amount <= 0:
            skipped += 1
            continue
        groups.setdefault(key, (account, []))[1].append(Line(item, amount, (as_of - item.due_date).days))
    last = await repository.last_sent(session, customer_ids=sorted({c for c, _ in groups}))
    outcomes: list[StatementOutcome] = []
    not_due = 0
    for key, (account, lines) in sorted(groups.items()):
        policy = by_segment.get(account.segment if account else "standard") or by_segment.get("standard")
        previous, listed = last.get(key, (None, set()))
        still = bool(listed & {line.item.invoice_id for line in lines})
        slot = statements.next_slot(policy, lines=lines, last=previous, still_overdue=still, as_of=as_of,
                                    min_days_between=settings.dunning_min_days_between_levels) if policy else None
        if policy is None or slot is None:
            not_due += 1
            continue
        outcome = await _issue(tx, policy=policy, slot=slot, account=account, lines=lines, texts=texts,
                               run_id=run_id, as_of=as_of, settings=settings)
        if outcome is None:
            not_due += 1
        else:
            outcomes.append(outcome)
    return RunResult(run_id=str(run_id), as_of=as_of, sent=sum(o.status == StatementStatus.SENT for o in outcomes),
                     already_sent=not_due, skipped_disputed_or_promised=skipped,
                     failed=sum(o.status == StatementStatus.FAILED for o in outcomes), statements=outcomes)


def _template(texts: dict[tuple[str, str], DunningTemplate], name: str,
              account: Account | None) -> tuple[DunningTemplate | None, str]:
    wanted = statements.languages(account)
    for language in wanted:
        if (name, language) in texts:
            return texts[(name, language)], language
    return None, wanted[0]


async def _issue(tx: Tx, *, policy: DunningPolicy, slot: Slot, account: Account | None, lines: list[Line],
                 texts: dict[tuple[str, str], DunningTemplate], run_id: uuid.UUID, as_of: date,
                 settings: CollectionsSettings) -> StatementOutcome | None:
    """The statement of the slot claimed (a failed one again), mailed, recorded, announced and audited; None when
    the slot was sent already."""
    first = lines[0].item
    customer_id, currency, level = first.customer_id, first.currency, slot.level
    to, cc = statements.recipients(account)
    template, language = _template(texts, level["template"], account)
    total = sum((line.amount for line in lines), Decimal(0))
    statement, new = await repository.claim_slot(tx.session, {
        "id": uuid.uuid4(), "run_id": run_id, "legal_entity": first.legal_entity, "customer_id": customer_id,
        "owning_team": first.owning_team or (account.owning_team if account else None), "currency": currency,
        "cycle": slot.cycle, "level": level["level"], "policy_id": policy.id, "channel": level["channel"],
        "template": level["template"], "language": language, "recipients": to + cc, "total_due": total,
        "as_of": as_of, "status": StatementStatus.FAILED, "attempts": 1})
    if statement.status == StatementStatus.SENT:
        return None
    if not new:  # a failed statement of this slot: tried again with today's invoices
        statement.run_id, statement.attempts, statement.as_of = run_id, statement.attempts + 1, as_of
        statement.language, statement.recipients, statement.total_due = language, to + cc, total
    await repository.replace_items(tx.session, statement_id=statement.id, rows=[
        {"statement_id": statement.id, "invoice_id": line.item.invoice_id, "invoice_number": line.item.invoice_number,
         "due_date": line.item.due_date, "days_past_due": line.days, "amount": line.amount} for line in lines])
    failure: tuple[FailureReason, str] | None = None
    if not to:
        failure = (FailureReason.NO_DUNNING_CONTACT, f"customer {customer_id} has no dunning contact: add one with "
                                                     f"PUT /accounts/{customer_id} (dunning_contacts)")
    elif template is None:
        failure = (FailureReason.TEMPLATE_MISSING, f"no template {level['template']} in "
                                                   f"{', '.join(statements.languages(account))}")
    else:
        subject, body = statements.render(template, account=account, customer_id=customer_id, currency=currency,
                                          lines=lines, level=level["level"], as_of=as_of,
                                          sender=settings.smtp_sender)
        try:
            await mailer.send_statement(settings, to=to, cc=cc, subject=subject, body=body)
        except mailer.MailFailed as exc:
            failure = (exc.reason, exc.detail)
    now = tx.now()
    statement.status = StatementStatus.FAILED if failure else StatementStatus.SENT
    statement.failure_reason, statement.failure_detail = failure if failure else (None, None)
    statement.sent_at = None if failure else now
    await tx.session.flush()
    items = tuple(StatementItem(invoice_id=line.item.invoice_id, invoice_number=line.item.invoice_number,
                                due_date=line.item.due_date, days_past_due=line.days, amount_due=line.amount)
                  for line in lines)
    fact: dict[str, Any] = {
        "statement_id": statement.id, "run_id": run_id, "legal_entity": statement.legal_entity,
        "customer_id": customer_id, "owning_team": statement.owning_team, "currency": currency,
        "policy_id": policy.id, "level": level["level"], "language": language, "template": level["template"],
        "channel": level["channel"], "items": items, "total_due": round_money(total, currency)}
    if failure:
        await tx.emit(DunningStatementFailed(**fact, reason=failure[0].value, detail=failure[1], failed_at=now))
    else:
        await tx.emit(DunningStatementSent(**fact, recipients_count=len(to) + len(cc), sent_at=now))
    await tx.audit(f"dunning.statement_{statement.status}", entity_type="dunning_statement", entity_id=statement.id,
                   after={"customer_id": customer_id, "level": level["level"], "total_due": total,
                          "invoices": len(lines), "recipients": to + cc,
                          "reason": failure[0].value if failure else None})
    return StatementOutcome(statement_id=statement.id, customer_id=customer_id, currency=currency,
                            level=level["level"], status=statement.status,
                            reason=failure[0] if failure else None, detail=failure[1] if failure else None)


async def _read(tx: Tx, rows: list[DunningStatement]) -> list[StatementRead]:
    lines: dict[uuid.UUID, list[StatementLine]] = defaultdict(list)
    for item in await repository.items_of(tx.session, statement_ids=[r.id for r in rows]):
        lines[item.statement_id].append(StatementLine(
            invoice_id=item.invoice_id, invoice_number=item.invoice_number, due_date=item.due_date,
            days_past_due=item.days_past_due, amount=item.amount))
    read = []
    for row in rows:
        read.append(StatementRead(
            **{k: getattr(row, k) for k in StatementRead.model_fields if k not in ("items", "total_due")},
            total_due=round_money(row.total_due, row.currency),
            items=[line.model_copy(update={"amount": round_money(line.amount, row.currency)})
                   for line in lines[row.id]]))
    return read


async def list_statements(tx: Tx, *, page: PageRequest, team: str | None, status: str | None,
                          customer_id: str | None) -> Page[StatementRead]:
    found = await repository.statements_page(tx.session, page=page, team=team, status=status,
                                             customer_id=customer_id, run_id=None)
    return Page[StatementRead](items=await _read(tx, list(found.items)), next_cursor=found.next_cursor)


async def get_run(tx: Tx, *, run_id: uuid.UUID, team: str | None) -> RunRead:
    """The statements a run wrote (a retried one shows under its latest run)."""
    found = await repository.statements_page(tx.session, page=PageRequest(limit=1000), team=team, status=None,
                                             customer_id=None, run_id=run_id)
    if not found.items:
        raise NotFound(f"no dunning statement of run {run_id}")
    return RunRead(run_id=run_id, statements=await _read(tx, list(found.items)))
