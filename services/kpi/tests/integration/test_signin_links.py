"""Issue 17 item 5: a signed link opens exactly one review for a limited time, carries no bearer token, and its
signature never reaches a log. Refused: expired, tampered, another review, another team, another page."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

from sqlalchemy import text

from o2c_cli.testing import ServiceHarness, bearer, problem
from o2c_kpi.clock import CLOCK_STATE_ATTR
from o2c_kpi.signin.logs import RedactSignatures, redact

LEAD = bearer("lea", "service_delivery_lead")
AGENT_A = bearer("agent-a", "vendor_agent", team="vendor-a")
HTML = {"Accept": "text/html"}


async def make_link(api: ServiceHarness, headers: dict[str, str] | None = None, **body: object) -> dict[str, object]:
    answer = await api.client.post("/reports/links", json={"kind": "qbr", "date": "2026-09-30", **body},
                                   headers=headers or LEAD)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def path_of(url: object, **changes: str | None) -> str:
    parts = urlsplit(str(url))
    query = dict(parse_qsl(parts.query))
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    return f"{parts.path}?{urlencode(query)}"


async def test_a_signed_link_opens_its_review_without_a_token(api: ServiceHarness) -> None:
    link = await make_link(api, team="vendor-a", currency="EUR")
    url = str(link["url"])
    assert url.startswith("http://127.0.0.1:8003/reports/qbr?") and "Bearer" not in url and "eyJ" not in url
    assert (link["team"], link["currency"], link["date"]) == ("vendor-a", "EUR", "2026-09-30")
    expires = datetime.fromisoformat(str(link["expires_at"]))
    assert timedelta(days=6, hours=23) < expires - datetime.now(UTC) <= timedelta(days=7)
    page = await api.client.get(path_of(url))
    assert page.status_code == 200, page.text
    assert page.json()["team"] == "vendor-a" and page.json()["period_label"] == "2026-Q3"
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "private, no-store"
    html = await api.client.get(path_of(url, format="html"), headers=HTML)  # the same review, as a page
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")


async def test_tampered_links_and_other_reviews_are_refused(api: ServiceHarness) -> None:
    url = str((await make_link(api, team="vendor-a"))["url"])
    tampered = [path_of(url, team="vendor-b"), path_of(url, team=None), path_of(url, date="2026-06-30"),
                path_of(url, currency="USD"), path_of(url, expires="4102444800"),
                path_of(url, sig="A" * 43), path_of(url).replace("/reports/qbr", "/reports/monthly-business-review"),
                path_of(url, names="dso")]
    for path in tampered:
        refused = problem(await api.client.get(path, headers=HTML), 403)
        assert refused["type"].endswith("invalid-link"), (path, refused)
    for other_page in ("/kpis", "/reports/daily-snapshots", "/sla/breaches"):  # the signature opens nothing else
        answer = await api.client.get(other_page + "?" + urlsplit(url).query)
        assert problem(answer, 401)["detail"] == "a bearer token is required"


async def test_an_expired_link_is_refused(api: ServiceHarness) -> None:
    url = str((await make_link(api, valid_days=2))["url"])
    assert (await api.client.get(path_of(url))).status_code == 200
    api.app.state.__setattr__(CLOCK_STATE_ATTR, lambda: datetime.now(UTC) + timedelta(days=2, minutes=1))
    try:
        expired = problem(await api.client.get(path_of(url)), 403)
    finally:
        delattr(api.app.state, CLOCK_STATE_ATTR)
    assert expired["type"].endswith("link-expired") and expired["detail"].startswith("the link expired at ")


async def test_a_vendor_agent_links_its_own_team_only_and_lifetimes_are_bounded(api: ServiceHarness) -> None:
    own = await make_link(api, AGENT_A)
    assert own["team"] == "vendor-a"  # no team asked: its own
    other = await api.client.post("/reports/links", json={"kind": "qbr", "date": "2026-09-30", "team": "vendor-b"},
                                  headers=AGENT_A)
    assert problem(other, 403)["type"].endswith("team-access-denied")
    too_long = await api.client.post("/reports/links", json={"kind": "qbr", "date": "2026-09-30", "valid_days": 32},
                                     headers=LEAD)
    assert problem(too_long, 422)["errors"][0]["pointer"] == "#/valid_days"
    bad = await api.client.post("/reports/links", json={"kind": "qbr", "date": "2026-09-30", "currency": "euro"},
                                headers=LEAD)
    assert problem(bad, 422)
    refused = await api.client.post("/reports/links", json={"kind": "qbr", "date": "2026-09-30"},
                                    headers=bearer("req", "requester"))
    assert problem(refused, 403)["type"].endswith("missing-role")
    async with api.db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT actor, entity_id FROM audit_log WHERE action = 'report_link.created'"
                                        " ORDER BY id"))).all()
    assert [(r.actor, r.entity_id) for r in rows] == [("agent-a", "qbr:2026-09-30:vendor-a:*")]


async def test_the_signature_never_reaches_the_access_log(api: ServiceHarness) -> None:
    url = str((await make_link(api))["url"])
    signature = dict(parse_qsl(urlsplit(url).query))["sig"]
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", path_of(url), "1.1", 200), None)
    assert logging.getLogger("uvicorn.access").filters and any(
        isinstance(f, RedactSignatures) for f in logging.getLogger("uvicorn.access").filters)
    for log_filter in logging.getLogger("uvicorn.access").filters:
        assert not isinstance(log_filter, logging.Filter) or log_filter.filter(record)
    line = record.getMessage()
    assert signature not in line and "sig=[redacted]" in line and "date=2026-09-30" in line
    assert redact("/reports/qbr?sig=abc&date=x") == "/reports/qbr?sig=[redacted]&date=x"


async def test_a_revoked_link_is_refused_until_it_expires_and_others_still_open(api: ServiceHarness) -> None:
    link, other = await make_link(api, team="vendor-a"), await make_link(api, team="vendor-a", valid_days=3)
    assert (await api.client.get(path_of(link["url"]))).status_code == 200
    answer = await api.client.post("/reports/links/revocations", headers=LEAD,
                                   json={"url": link["url"], "reason": "mailed to the wrong customer"})
    assert answer.status_code == 201, answer.text
    revoked = answer.json()
    assert (revoked["kind"], revoked["date"], revoked["team"], revoked["revoked_by"]) == (
        "qbr", "2026-09-30", "vendor-a", "lea")
    assert revoked["expires_at"] == link["expires_at"]
    for path in (path_of(link["url"]), path_of(link["url"], format="html")):
        refused = problem(await api.client.get(path, headers=HTML), 403)
        assert refused["type"].endswith("link-revoked") and refused["detail"].startswith("the link was revoked at ")
    assert (await api.client.get(path_of(other["url"]))).status_code == 200  # same review, another link
    again = await api.client.post("/reports/links/revocations", headers=LEAD,
                                  json={"url": path_of(link["url"]), "reason": "twice"})  # its path will do too
    assert again.status_code == 200 and again.json()["revoked_at"] == revoked["revoked_at"]
    assert again.json()["reason"] == "mailed to the wrong customer"
    async with api.db.unit_of_work() as s:
        audit = (await s.execute(text(
            "SELECT actor, reason FROM audit_log WHERE action = 'report_link.revoked'"))).all()
        stored = (await s.execute(text("SELECT signature_sha256 FROM review_link_revocations"))).scalars().all()
    assert [tuple(a) for a in audit] == [("lea", "mailed to the wrong customer")]  # once, not twice
    sig = dict(parse_qsl(urlsplit(str(link["url"])).query))["sig"]
    assert len(stored) == 1 and sig not in stored[0]  # a fingerprint, not a usable signature


async def test_only_signed_live_links_of_ones_own_team_can_be_revoked(api: ServiceHarness) -> None:
    url = str((await make_link(api, team="vendor-b"))["url"])
    agent = await api.client.post("/reports/links/revocations", headers=AGENT_A, json={"url": url, "reason": "x"})
    assert problem(agent, 403)["type"].endswith("team-access-denied")
    own = str((await make_link(api, AGENT_A))["url"])
    assert (await api.client.post("/reports/links/revocations", headers=AGENT_A,
                                  json={"url": own, "reason": "sent by mistake"})).status_code == 201
    for bad in (path_of(url, team="vendor-a"), path_of(url, sig=None), "/kpis?sig=abc", "https://example.com/"):
        refused = problem(await api.client.post("/reports/links/revocations", headers=LEAD,
                                                json={"url": bad, "reason": "x"}), 422)
        assert refused["errors"][0]["pointer"] == "#/url" and refused["detail"].startswith("not revocable: "), bad
    short = str((await make_link(api, valid_days=1))["url"])
    api.app.state.__setattr__(CLOCK_STATE_ATTR, lambda: datetime.now(UTC) + timedelta(days=1, minutes=1))
    try:
        expired = problem(await api.client.post("/reports/links/revocations", headers=LEAD,
                                                json={"url": short, "reason": "x"}), 422)
    finally:
        delattr(api.app.state, CLOCK_STATE_ATTR)
    assert expired["detail"].endswith("it opens nothing already")
    blank = await api.client.post("/reports/links/revocations", headers=LEAD, json={"url": short, "reason": ""})
    assert problem(blank, 422)["errors"][0]["pointer"] == "#/reason"
    assert (await api.client.post("/reports/links/revocations", json={"url": short, "reason": "x"})).status_code == 401
