"""Signed links: a reader asks for a link to one review, valid for a limited time (audited)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from o2c_common.errors import ValidationFailed
from o2c_common.tx import Tx
from o2c_kpi.clock import Clock
from o2c_kpi.config import KpiSettings
from o2c_kpi.permissions import team_in_view
from o2c_kpi.signin.links import ReviewLink
from o2c_kpi.signin.schemas import ReportLinkCreate, ReportLinkRead


def sign(settings: KpiSettings, *, kind: str, on: date, team: str | None, currency: str | None,
         expires_at: datetime) -> str:
    """The absolute signed address of a review (the digests' links too)."""
    link = ReviewLink(kind=kind, on=on, team=team, currency=currency, expires_at=expires_at)
    return settings.public_url.rstrip("/") + link.path(settings.link_key())


async def create_link(tx: Tx, data: ReportLinkCreate, *, settings: KpiSettings, clock: Clock) -> ReportLinkRead:
    team = team_in_view(tx.actor, data.team, what="reviews")
    days = data.valid_days or settings.report_link_days
    if days > settings.report_link_max_days:
        detail = f"a link is valid for at most {settings.report_link_max_days} days"
        raise ValidationFailed(detail, errors=[{"pointer": "#/valid_days", "detail": detail}])
    expires_at = (clock() + timedelta(days=days)).replace(microsecond=0)
    url = sign(settings, kind=data.kind.value, on=data.date, team=team, currency=data.currency,
               expires_at=expires_at)
    read = ReportLinkRead(url=url, kind=data.kind, date=data.date, team=team, currency=data.currency,
                          expires_at=expires_at)
    await tx.audit("report_link.created", entity_type="report_link",
                   entity_id=f"{data.kind.value}:{data.date.isoformat()}:{team or '*'}:{data.currency or '*'}",
                   after=read.model_dump(mode="json", exclude={"url"}))
    return read
