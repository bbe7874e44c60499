"""Signed links to one review: ``/reports/<kind>?date=…&team=…&currency=…&expires=…&sig=…``.

The signature is HMAC-SHA256 (``KPI_REPORT_LINK_SECRET``) over the review (kind, period date, team, reporting
currency) and the expiry, so the link opens exactly that review until it expires, and nothing else: another kind,
date, team or currency, a later expiry or any other page fails the check. It carries no bearer token; the access
logs redact ``sig`` (:mod:`o2c_kpi.signin.logs`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlencode

SIGNATURE = "sig"
EXPIRES = "expires"
SIGNED = ("date", "team", "currency")
"""The review's query parameters the signature covers (with the kind, from the path, and the expiry)."""
PRESENTATION = frozenset({"format", "detail"})
"""Parameters that choose how the same review is shown (HTML, PDF, per-currency detail): free to change."""


class LinkRefused(Exception):
    """The link is not one this service signed for this review, or it expired (``expired``)."""

    def __init__(self, detail: str, *, expired: bool = False) -> None:
        super().__init__(detail)
        self.detail, self.expired = detail, expired


@dataclass(frozen=True)
class ReviewLink:
    kind: str
    on: date
    team: str | None
    currency: str | None
    expires_at: datetime

    def params(self) -> dict[str, str]:
        values = {"date": self.on.isoformat(), "team": self.team, "currency": self.currency}
        return {k: v for k, v in values.items() if v}

    def path(self, key: bytes) -> str:
        """``/reports/<kind>?…&sig=…``: the signed path (relative to the service's public URL)."""
        expires = str(int(self.expires_at.timestamp()))
        query = {**self.params(), EXPIRES: expires, SIGNATURE: _sign(key, self.kind, self.params(), expires)}
        return f"/reports/{self.kind}?{urlencode(query)}"


def _message(kind: str, params: Mapping[str, str], expires: str) -> bytes:
    return "\n".join(("o2c-review-link-v1", kind, *(params.get(name, "") for name in SIGNED), expires)).encode()


def _sign(key: bytes, kind: str, params: Mapping[str, str], expires: str) -> str:
    digest = hmac.new(key, _message(kind, params, expires), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def verify(key: bytes, *, kind: str, query: list[tuple[str, str]], now: datetime) -> ReviewLink:
    """The review a signed request may open; :class:`LinkRefused` otherwise (checked before the expiry, so a
    tampered link never learns whether it expired)."""
    names = [name for name, _ in query]
    if len(names) != len(set(names)):
        raise LinkRefused("a signed link names each parameter once")
    unknown = set(names) - {*SIGNED, EXPIRES, SIGNATURE, *PRESENTATION}
    if unknown:
        raise LinkRefused(f"a signed link opens its review only, without {', '.join(sorted(unknown))}")
    values = dict(query)
    expires, signature = values.get(EXPIRES, ""), values.get(SIGNATURE, "")
    params = {name: values[name] for name in SIGNED if values.get(name)}
    expected = _sign(key, kind, params, expires)
    if not expires.isdigit() or not hmac.compare_digest(expected.encode(), signature.encode()):
        raise LinkRefused("the link's signature does not match this review")
    expires_at = datetime.fromtimestamp(int(expires), UTC)
    if expires_at <= now:
        raise LinkRefused(f"the link expired at {expires_at:%Y-%m-%d %H:%M} UTC", expired=True)
    try:
        on = date.fromisoformat(params["date"])
    except (KeyError, ValueError):
        raise LinkRefused("the link names no review date") from None
    return ReviewLink(kind=kind, on=on, team=params.get("team"), currency=params.get("currency"),
                      expires_at=expires_at)


def fingerprint(query: list[tuple[str, str]]) -> str:
    """SHA-256 (hex) of a signed link's signature: what a revocation keeps, so the table holds no usable link."""
    signature = dict(query).get(SIGNATURE, "")
    return hashlib.sha256(signature.encode()).hexdigest()
