"""Digest subscriptions and sending: CRUD (audited), a digest sent now, and the due ones sent once per period."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from o2c_common.errors import DomainError, ValidationFailed
from o2c_common.http import Page, PageRequest
from o2c_common.tx import Transactions, Tx
from o2c_kpi.clock import Clock
from o2c_kpi.config import KpiSettings
from o2c_kpi.digests import mail, repository
from o2c_kpi.digests.models import DeliveryTrigger, DigestDelivery, DigestSubscription
from o2c_kpi.digests.schedule import Schedule, describe, latest_due, review_date
from o2c_kpi.digests.schemas import DeliveryRead, DigestRead, DigestWrite
from o2c_kpi.permissions import team_in_view
from o2c_kpi.reports import service as reports
from o2c_kpi.reports.schemas import ReportKind, ReportRead
from o2c_kpi.signin.service import sign

log = structlog.get_logger("o2c.digests")
STEP = "digests"


def schedule_of(subscription: DigestSubscription) -> Schedule:
    return Schedule(kind=ReportKind(subscription.kind), timezone=subscription.timezone,
                    send_at=subscription.send_at, weekday=subscription.weekday,
                    working_day=subscription.working_day)


def read(subscription: DigestSubscription) -> DigestRead:
    out = DigestRead.model_validate(subscription)
    out.schedule = describe(schedule_of(subscription))
    return out


def _check(data: DigestWrite, settings: KpiSettings) -> None:
    errors = []
    if len(data.recipients) > settings.digest_max_recipients:
        errors.append({"pointer": "#/recipients",
                       "detail": f"at most {settings.digest_max_recipients} recipients per subscription"})
    if (data.kind == ReportKind.WEEKLY_CADENCE) != (data.weekday is not None):
        errors.append({"pointer": "#/weekday", "detail": "the weekly cadence needs a weekday; other reviews take none"})
    by_working_day = data.kind in (ReportKind.MONTHLY_BUSINESS_REVIEW, ReportKind.QBR)
    if by_working_day != (data.working_day is not None):
        errors.append({"pointer": "#/working_day",
                       "detail": "the MBR and the QBR need a working_day; other reviews take none"})
    if errors:
        raise ValidationFailed(f"The request has {len(errors)} invalid value{'s' if len(errors) > 1 else ''}.",
                               errors=errors)


def _fields(data: DigestWrite) -> dict[str, Any]:
    return {"kind": data.kind.value, "owning_team": data.team, "currency": data.currency,
            "recipients": list(data.recipients), "timezone": data.timezone, "send_at": data.send_at,
            "weekday": data.weekday, "working_day": data.working_day, "active": data.active}


async def create(tx: Tx, data: DigestWrite, *, settings: KpiSettings, clock: Clock) -> DigestSubscription:
    _check(data, settings)
    now = clock()
    subscription = DigestSubscription(id=uuid.uuid4(), **_fields(data), created_by=tx.actor.subject,
                                      created_at=now, updated_at=now, version=1)
    await repository.add(tx.session, subscription)
    await tx.audit("digest.subscribed", entity_type="digest_subscription", entity_id=subscription.id,
                   after=read(subscription).model_dump(mode="json"))
    return subscription


async def update(tx: Tx, subscription: DigestSubscription, data: DigestWrite, *, settings: KpiSettings,
                 clock: Clock) -> DigestSubscription:
    _check(data, settings)
    before = read(subscription).model_dump(mode="json")
    for name, value in _fields(data).items():
        setattr(subscription, name, value)
    subscription.updated_at, subscription.version = clock(), subscription.version + 1
    await tx.session.flush()
    await tx.audit("digest.changed", entity_type="digest_subscription", entity_id=subscription.id, before=before,
                   after=read(subscription).model_dump(mode="json"))
    return subscription


async def delete(tx: Tx, subscription: DigestSubscription) -> None:
    before = read(subscription).model_dump(mode="json")
    await repository.delete(tx.session, subscription)
    await tx.audit("digest.unsubscribed", entity_type="digest_subscription", entity_id=subscription.id,
                   before=before)


async def list_subscriptions(tx: Tx, *, page: PageRequest, team: str | None,
                             kind: ReportKind | None) -> Page[DigestRead]:
    team = team_in_view(tx.actor, team, what="digests")
    return await repository.page(tx.session, page=page, team=team, kind=kind.value if kind else None, item=read)


async def list_deliveries(tx: Tx, subscription: DigestSubscription, *, page: PageRequest) -> Page[DeliveryRead]:
    return await repository.deliveries(tx.session, subscription_id=subscription.id, page=page,
                                       item=DeliveryRead.model_validate)


async def _review(tx: Tx, subscription: DigestSubscription, on: date, clock: Clock) -> ReportRead:
    return await reports.build(tx.acting_as(f"system:{STEP}"), kind=ReportKind(subscription.kind), on=on,
                               team=subscription.owning_team, clock=clock, currency=subscription.currency)


def _pdf(report: ReportRead) -> bytes | None:
    try:
        from o2c_kpi.reports.pdf import report_pdf
    except ImportError:  # pragma: no cover - the reviews' PDF is part of the service now
        return None
    return report_pdf(report)


async def _mail(subscription: DigestSubscription, report: ReportRead, pdf: bytes | None, *, settings: KpiSettings,
                clock: Clock) -> None:
    days = settings.report_link_days
    link = sign(settings, kind=subscription.kind, on=report.period_end, team=subscription.owning_team,
                currency=subscription.currency, expires_at=(clock() + timedelta(days=days)).replace(microsecond=0))
    message = mail.compose(settings, report, recipients=list(subscription.recipients), link=link, link_days=days,
                           pdf=pdf)
    await mail.send(settings, message)


async def send_now(tx: Tx, subscription: DigestSubscription, *, settings: KpiSettings,
                   clock: Clock) -> DigestDelivery:
    """The review of the last complete period, sent at once (does not count as the scheduled one)."""
    on = review_date(ReportKind(subscription.kind), clock().astimezone(ZoneInfo(subscription.timezone)).date())
    report = await _review(tx, subscription, on, clock)
    pdf = _pdf(report)
    await _mail(subscription, report, pdf, settings=settings, clock=clock)
    delivery = DigestDelivery(id=uuid.uuid4(), subscription_id=subscription.id, review_date=on,
                              period_label=report.period_label, trigger=DeliveryTrigger.MANUAL.value,
                              recipients=len(subscription.recipients), attached_pdf=pdf is not None, sent_at=clock(),
                              sent_by=tx.actor.subject)
    await repository.record(tx.session, delivery)
    await tx.audit("digest.sent", entity_type="digest_subscription", entity_id=subscription.id,
                   after=DeliveryRead.model_validate(delivery).model_dump(mode="json"))
    return delivery


async def due(tx: Tx, *, settings: KpiSettings, clock: Clock) -> list[tuple[uuid.UUID, date]]:
    """Active subscriptions whose latest send moment has passed (since they were made) and whose review for it has
    not gone out yet."""
    now = clock()
    candidates: list[tuple[uuid.UUID, date]] = []
    for subscription in await repository.active(tx.session):
        when = latest_due(schedule_of(subscription), now, settings.sla_holidays)
        if when.moment >= subscription.created_at:
            candidates.append((subscription.id, when.review_date))
    done = await repository.sent(tx.session, candidates)
    return [key for key in candidates if key not in done]


async def send_scheduled(tx: Tx, subscription_id: uuid.UUID, on: date, *, settings: KpiSettings,
                         clock: Clock) -> bool:
    """One due digest: claimed for its period, then sent; False when it was claimed already."""
    subscription = await repository.get(tx, subscription_id)
    report = await _review(tx, subscription, on, clock)
    pdf = _pdf(report)
    delivery = {"subscription_id": subscription.id, "review_date": on, "period_label": report.period_label,
                "recipients": len(subscription.recipients), "attached_pdf": pdf is not None, "sent_at": clock(),
                "sent_by": tx.actor.subject}
    if not await repository.claim(tx.session, delivery):
        return False
    await _mail(subscription, report, pdf, settings=settings, clock=clock)
    await tx.audit("digest.sent", entity_type="digest_subscription", entity_id=subscription.id,
                   after={"review_date": on.isoformat(), "period_label": report.period_label,
                          "recipients": len(subscription.recipients), "attached_pdf": pdf is not None,
                          "trigger": DeliveryTrigger.SCHEDULED.value})
    return True


async def send_due(transactions: Transactions, *, settings: KpiSettings, clock: Clock) -> int:
    """The worker's step: every due digest sent once, each in its own unit of work (a mail server that refuses one
    leaves it due for the next step; the others still go)."""
    async with transactions.begin(f"system:{STEP}") as tx:
        keys: Sequence[tuple[uuid.UUID, date]] = await due(tx, settings=settings, clock=clock)
    sent = 0
    for subscription_id, on in keys:
        try:
            async with transactions.begin(f"system:{STEP}") as tx:
                sent += await send_scheduled(tx, subscription_id, on, settings=settings, clock=clock)
        except DomainError as exc:  # the mail server refused or is down; or the subscription went meanwhile
            log.warning("digest_due_not_sent", subscription_id=str(subscription_id), detail=exc.detail)
    return sent
