"""Signed links: a reader asks for a link to one review, valid for a limited time, and may revoke it (audited)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

from o2c_common.auth import visible_team
from o2c_common.errors import Forbidden, ValidationFailed
from o2c_common.tx import Tx
from o2c_kpi.clock import Clock
from o2c_kpi.config import KpiSettings
from o2c_kpi.permissions import team_in_view
from o2c_kpi.signin import links, repository
from o2c_kpi.signin.access import REVIEWS_PREFIX, review_kind
from o2c_kpi.signin.links import ReviewLink
from o2c_kpi.signin.schemas import ReportLinkCreate, ReportLinkRead, ReportLinkRevocationRead, ReportLinkRevoke


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
                   entity_id=_entity_id(data.kind.value, data.date, team, data.currency),
                   after=read.model_dump(mode="json", exclude={"url"}))
    return read


async def revoke_link(tx: Tx, data: ReportLinkRevoke, *, settings: KpiSettings,
                      clock: Clock) -> tuple[ReportLinkRevocationRead, bool]:
    """Refuse a link from now until it expires (True if it was not revoked before). Only a link this service signed,
    not expired; a vendor agent's of its own team only."""
    query, link = _signed_link(data.url, settings=settings, now=clock())
    own = visible_team(tx.actor)
    if own is not None and link.team != own:
        raise Forbidden("vendor agents revoke their own team's links only", type="team-access-denied",
                        title="Team access denied")
    row, created = await repository.add(tx.session, {
        "signature_sha256": links.fingerprint(query), "kind": link.kind, "period_date": link.on, "team": link.team,
        "currency": link.currency, "expires_at": link.expires_at, "revoked_at": clock(),
        "revoked_by": tx.actor.subject, "reason": data.reason})
    read = ReportLinkRevocationRead(kind=row.kind, date=row.period_date, team=row.team, currency=row.currency,
                                    expires_at=row.expires_at, revoked_at=row.revoked_at, revoked_by=row.revoked_by,
                                    reason=row.reason)
    if created:
        await tx.audit("report_link.revoked", entity_type="report_link",
                       entity_id=_entity_id(link.kind, link.on, link.team, link.currency), reason=data.reason,
                       after=read.model_dump(mode="json"))
    return read, created


def _signed_link(url: str, *, settings: KpiSettings, now: datetime) -> tuple[list[tuple[str, str]], ReviewLink]:
    parts = urlsplit(url)
    start = parts.path.find(REVIEWS_PREFIX)
    kind = review_kind(parts.path[start:]) if start >= 0 else None
    query = parse_qsl(parts.query, keep_blank_values=True)
    try:
        if kind is None or links.SIGNATURE not in dict(query):
            raise links.LinkRefused("it is not a signed link to a review (/reports/<kind>?…&sig=…)")
        return query, links.verify(settings.link_key(), kind=kind, query=query, now=now)
    except links.LinkRefused as exc:
        detail = f"{exc.detail}: it opens nothing already" if exc.expired else f"not revocable: {exc.detail}"
        raise ValidationFailed(detail, errors=[{"pointer": "#/url", "detail": detail}]) from None


def _entity_id(kind: str, on: date, team: str | None, currency: str | None) -> str:
    return f"{kind}:{on.isoformat()}:{team or '*'}:{currency or '*'}"
