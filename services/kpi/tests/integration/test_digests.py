"""Issue 17 item 5: scheduled e-mail digests of the reviews — subscriptions (CRUD, permissions, audit, pages), each due
digest sent once per subscription and period by the worker step, and a digest sent now; over real SMTP to the local
mail server, as multipart mails with a readable summary, a signed link that opens the review and the PDF."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from o2c_cli.testing import MailSink, ServiceHarness, bearer, mail_sink, problem
from o2c_kpi.clock import CLOCK_STATE_ATTR
from o2c_kpi.digests.service import send_due

LEAD = bearer("lea", "service_delivery_lead")
AGENT_A = bearer("agent-a", "vendor_agent", team="vendor-a")
DAILY = {"kind": "daily-huddle", "team": "vendor-a", "recipients": ["ops@vendor-a.example", "lea@o2c.example"],
         "timezone": "Europe/Berlin", "send_at": "07:30:00"}


@pytest.fixture
def sink(tmp_path: Path, api: ServiceHarness) -> Iterator[MailSink]:
    with mail_sink(tmp_path / "mail") as smtp:
        api.app.state.settings.smtp_port = smtp.port
        yield smtp


def set_clock(api: ServiceHarness, when: datetime) -> None:
    setattr(api.app.state, CLOCK_STATE_ATTR, lambda: when)


async def subscribe(api: ServiceHarness, body: dict[str, Any], headers: dict[str, str] = LEAD) -> dict[str, Any]:
    answer = await api.client.post("/digests", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    assert answer.headers["location"] == f"/digests/{answer.json()['id']}" and answer.headers["etag"]
    return dict(answer.json())


async def run_step(api: ServiceHarness, when: datetime) -> int:
    transactions = dataclasses.replace(api.app.state.transactions, clock=lambda: when)
    return await send_due(transactions, settings=api.app.state.settings, clock=lambda: when)


def parts(message: EmailMessage) -> dict[str, Any]:
    html = message.get_body(("html",))
    plain = message.get_body(("plain",))
    attachments = list(message.iter_attachments())
    assert html is not None and plain is not None
    return {"html": html.get_content(), "text": plain.get_content(), "attachments": attachments}


def link_in(html: str) -> str:
    start = html.index('<a href="') + len('<a href="')
    url = html[start:html.index('"', start)].replace("&amp;", "&")
    parts_ = urlsplit(url)
    return f"{parts_.path}?{parts_.query}"


async def test_a_due_digest_goes_out_once_per_period_with_summary_link_and_pdf(
        api: ServiceHarness, sink: MailSink) -> None:
    set_clock(api, datetime(2026, 10, 13, 20, 0, tzinfo=UTC))
    digest = await subscribe(api, DAILY)
    assert digest["schedule"] == "every day at 07:30 Europe/Berlin"
    assert await run_step(api, datetime(2026, 10, 14, 5, 0, tzinfo=UTC)) == 0  # 07:00 in Berlin: not yet
    assert await run_step(api, datetime(2026, 10, 14, 5, 31, tzinfo=UTC)) == 1
    assert await run_step(api, datetime(2026, 10, 14, 9, 0, tzinfo=UTC)) == 0  # the same period: sent already
    assert len(sink.messages) == 1
    mail = sink.messages[0]
    assert mail["To"] == "ops@vendor-a.example, lea@o2c.example" and mail["From"] == "reviews@o2c.local"
    assert mail["Subject"] == "Daily huddle 2026-10-13 — vendor-a"
    body = parts(mail)
    assert "Open the review</a>" in body["html"] and "None" not in body["html"] and "Bearer" not in body["html"]
    assert "Daily huddle 2026-10-13" in body["text"]
    [pdf] = body["attachments"]
    assert pdf.get_content_type() == "application/pdf" and pdf.get_filename() == "daily-huddle-2026-10-13-vendor-a.pdf"
    assert pdf.get_content().startswith(b"%PDF")
    page = await api.client.get(link_in(body["html"]))  # the link opens that review, no token
    assert page.status_code == 200 and page.json()["team"] == "vendor-a"
    assert page.json()["period_label"] == "2026-10-13"
    assert await run_step(api, datetime(2026, 10, 15, 6, 0, tzinfo=UTC)) == 1  # the next day's
    assert [m["Subject"] for m in sink.messages][-1] == "Daily huddle 2026-10-14 — vendor-a"
    deliveries = (await api.client.get(f"/digests/{digest['id']}/deliveries", headers=LEAD)).json()["items"]
    assert [(d["review_date"], d["trigger"], d["attached_pdf"]) for d in deliveries] == [
        ("2026-10-14", "scheduled", True), ("2026-10-13", "scheduled", True)]


async def test_a_refusing_mail_server_leaves_the_digest_due(api: ServiceHarness, sink: MailSink) -> None:
    set_clock(api, datetime(2026, 10, 13, 20, 0, tzinfo=UTC))
    await subscribe(api, DAILY)
    port = api.app.state.settings.smtp_port
    api.app.state.settings.smtp_port = 1  # nothing listens there
    assert await run_step(api, datetime(2026, 10, 14, 6, 0, tzinfo=UTC)) == 0
    api.app.state.settings.smtp_port = port
    assert await run_step(api, datetime(2026, 10, 14, 6, 5, tzinfo=UTC)) == 1
    assert len(sink.messages) == 1


async def test_send_now_mails_the_last_complete_period(api: ServiceHarness, sink: MailSink) -> None:
    set_clock(api, datetime(2026, 10, 14, 10, 0, tzinfo=UTC))
    digest = await subscribe(api, {"kind": "monthly-business-review", "recipients": ["cfo@o2c.example"],
                                   "working_day": 3, "currency": "EUR"})
    answer = await api.client.post(f"/digests/{digest['id']}/send", headers=LEAD)
    assert answer.status_code == 201, answer.text
    assert (answer.json()["review_date"], answer.json()["period_label"]) == ("2026-09-30", "2026-09")
    assert sink.messages[0]["Subject"] == "Monthly business review 2026-09"
    assert "currency=EUR" in link_in(parts(sink.messages[0])["html"])
    api.app.state.settings.smtp_port = 1
    failed = problem(await api.client.post(f"/digests/{digest['id']}/send", headers=LEAD), 502)
    assert failed["type"].endswith("mail-failed") and failed["detail"] == "SMTP 127.0.0.1:1 could not be reached"
    deliveries = (await api.client.get(f"/digests/{digest['id']}/deliveries", headers=LEAD)).json()["items"]
    assert len(deliveries) == 1 and deliveries[0]["trigger"] == "manual"


async def test_subscriptions_are_validated_precisely(api: ServiceHarness) -> None:
    cases = [({**DAILY, "recipients": ["not-an-address"]}, "#/recipients/0"),
             ({**DAILY, "recipients": ["a@x.example", "A@x.example"]}, "#/recipients"),
             ({**DAILY, "recipients": [f"p{i}@x.example" for i in range(21)]}, "#/recipients"),
             ({**DAILY, "timezone": "Mars/Olympus"}, "#/timezone"),
             ({**DAILY, "weekday": 1}, "#/weekday"),
             ({**DAILY, "kind": "weekly-cadence"}, "#/weekday"),
             ({**DAILY, "kind": "qbr"}, "#/working_day"),
             ({**DAILY, "currency": "eur"}, "#/currency"),
             ({**DAILY, "send_at": "07:30:00+02:00"}, "#/send_at")]
    for body, pointer in cases:
        errors = problem(await api.client.post("/digests", json=body, headers=LEAD), 422)["errors"]
        assert pointer in [e.get("pointer") for e in errors], (body, errors)


async def test_crud_with_permissions_team_rule_pages_and_audit(api: ServiceHarness) -> None:
    a = await subscribe(api, DAILY)
    b = await subscribe(api, {**DAILY, "team": "vendor-b"})
    g = await subscribe(api, {"kind": "weekly-cadence", "recipients": ["lead@o2c.example"], "weekday": 1})
    assert problem(await api.client.post("/digests", json=DAILY, headers=AGENT_A), 403)["type"].endswith(
        "missing-role")
    first = (await api.client.get("/digests", params={"limit": 2}, headers=LEAD)).json()
    rest = (await api.client.get("/digests", params={"limit": 2, "cursor": first["next_cursor"]}, headers=LEAD)).json()
    assert [d["id"] for d in first["items"] + rest["items"]] == [a["id"], b["id"], g["id"]]
    own = (await api.client.get("/digests", headers=AGENT_A)).json()["items"]
    assert [d["id"] for d in own] == [a["id"]]
    assert problem(await api.client.get(f"/digests/{b['id']}", headers=AGENT_A), 403)
    got = await api.client.get(f"/digests/{a['id']}", headers=LEAD)
    changed = await api.client.put(f"/digests/{a['id']}", json={**DAILY, "recipients": ["new@vendor-a.example"]},
                                   headers={**LEAD, "If-Match": got.headers["etag"]})
    assert changed.status_code == 200 and changed.json()["recipients"] == ["new@vendor-a.example"]
    stale = await api.client.put(f"/digests/{a['id']}", json=DAILY, headers={**LEAD, "If-Match": got.headers["etag"]})
    assert problem(stale, 412)
    gone = await api.client.delete(f"/digests/{a['id']}", headers={**LEAD, "If-Match": changed.headers["etag"]})
    assert gone.status_code == 204
    assert problem(await api.client.get(f"/digests/{a['id']}", headers=LEAD), 404)
    async with api.db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT actor, action FROM audit_log WHERE entity_id = :id ORDER BY id"),
                                   {"id": a["id"]})).all()
    assert [(r.actor, r.action) for r in rows] == [("lea", "digest.subscribed"), ("lea", "digest.changed"),
                                                   ("lea", "digest.unsubscribed")]


async def test_two_workers_at_once_send_a_due_digest_once(api: ServiceHarness, sink: MailSink) -> None:
    set_clock(api, datetime(2026, 10, 13, 20, 0, tzinfo=UTC))
    await subscribe(api, DAILY)
    when = datetime(2026, 10, 14, 6, 0, tzinfo=UTC)
    results = await asyncio.gather(run_step(api, when), run_step(api, when))  # two replicas' steps
    assert sorted(results) == [0, 1] and len(sink.messages) == 1
