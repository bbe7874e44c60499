"""The sign-in pages: plain HTML, inline style, no script and no external asset."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from html import escape

from fastapi.responses import HTMLResponse

from o2c_common.auth import Principal
from o2c_kpi.reports.schemas import ReportKind

_STYLE = ("body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1b1f24}"
          "textarea{width:100%;height:8rem;font:13px monospace}button{font-size:1rem;padding:.4rem 1.2rem}"
          ".error{color:#a40e26;background:#fdecee;padding:.5rem .8rem;border-radius:4px}"
          "small{color:#57606a}li{margin:.2rem 0}")


class SigninError(StrEnum):
    EMPTY = "empty"
    EXPIRED = "expired"
    REFUSED = "refused"
    NO_ROLE = "no-role"


MESSAGES = {
    SigninError.EMPTY: "Paste a token.",
    SigninError.EXPIRED: "That token has expired: get a new one.",
    SigninError.REFUSED: "That token was refused: its signature, issuer, audience or lifetime is not accepted here.",
    SigninError.NO_ROLE: "That token holds no role that reads the reviews.",
}
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def _page(title: str, body: str) -> HTMLResponse:
    html = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{_STYLE}</style></head>'
            f"<body><h1>{escape(title)}</h1>{body}</body></html>")
    return HTMLResponse(html, headers=HEADERS)


def signin_form(*, next_path: str | None, error: SigninError | None = None,
                oidc_issuer: str | None = None) -> HTMLResponse:
    where = ("a token your identity provider issued for o2c (its access token, audience "
             f"<code>o2c</code>, issuer <code>{escape(oidc_issuer)}</code>)" if oidc_issuer
             else "a token from your administrator, or locally <code>o2c token --subject you --role viewer</code>")
    problem = f'<p class="error" role="alert">{escape(MESSAGES[error])}</p>' if error else ""
    hidden = f'<input type="hidden" name="next" value="{escape(next_path)}">' if next_path else ""
    body = (f"{problem}<p>Paste your bearer token: {where}. It is kept in a cookie only this site can read, "
            "for no longer than the token lives, and opens the review pages only.</p>"
            f'<form method="post" action="signin">{hidden}<label for="token">Token</label>'
            '<textarea id="token" name="token" required autocomplete="off" spellcheck="false"></textarea>'
            '<p><button type="submit">Sign in</button></p></form>')
    return _page("Sign in to the o2c reviews", body)


def signed_in(principal: Principal, *, until: datetime | None) -> HTMLResponse:
    team = f", team {escape(principal.team)}" if principal.team else ""
    roles = ", ".join(sorted(r.replace("_", " ") for r in principal.roles)) or "no role"
    expiry = f" until {until:%Y-%m-%d %H:%M} UTC" if until else ""
    reviews = "".join(f'<li><a href="reports/{k.value}?format=html">{escape(_title(k))}</a></li>'
                      for k in ReportKind)
    body = (f"<p>Signed in as <strong>{escape(principal.subject)}</strong> ({escape(roles)}{team}){expiry}.</p>"
            f"<ul>{reviews}</ul>"
            '<form method="post" action="signout"><button type="submit">Sign out</button></form>')
    return _page("o2c reviews", body)


def _title(kind: ReportKind) -> str:
    return kind.value.replace("-", " ").replace("qbr", "QBR").capitalize().replace("Qbr", "QBR")
