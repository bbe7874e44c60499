"""Dunning on a real database with notices over real SMTP to a tiny asyncio SMTP sink: levels by days past
due and minimum amount, idempotent runs per invoice and level, disputed and promised amounts skipped."""

from __future__ import annotations

import asyncio
import email
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from email.message import Message

import pytest_asyncio

from services.collections.tests.conftest import COLLECTOR, SUPERVISOR, Service, problem


@dataclass
class SmtpSink:
    """Just enough SMTP (RFC 5321) to accept messages: EHLO/HELO, MAIL, RCPT, DATA, QUIT."""

    port: int = 0
    messages: list[Message] = field(default_factory=list)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 sink ready\r\n")
        while line := await reader.readline():
            verb = line.decode().strip().upper()
            if verb.startswith("DATA"):
                writer.write(b"354 go on\r\n")
                await writer.drain()
                data = await reader.readuntil(b"\r\n.\r\n")
                self.messages.append(email.message_from_bytes(data[:-5]))
                writer.write(b"250 queued\r\n")
            elif verb.startswith("QUIT"):
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()


@pytest_asyncio.fixture(loop_scope="session")
async def sink(service: Service) -> AsyncIterator[SmtpSink]:
    smtp = SmtpSink()
    server = await asyncio.start_server(smtp.serve, "127.0.0.1", 0)
    smtp.port = server.sockets[0].getsockname()[1]
    service.settings.smtp_port = smtp.port
    async with server:
        yield smtp


POLICY = {"segment": "standard", "levels": [
    {"level": 1, "days_past_due": 1, "channel": "email", "template": "friendly", "min_amount": "50.00"},
    {"level": 2, "days_past_due": 30, "channel": "email", "template": "firm", "min_amount": "50.00"}]}


async def run(service: Service, as_of: str) -> dict[str, int]:
    response = await service.client.post(f"/dunning/runs?as_of={as_of}", headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_runs_are_idempotent_per_invoice_and_level_and_skip_held_amounts(service: Service,
                                                                             sink: SmtpSink) -> None:
    assert (await service.client.put("/dunning/policies/std", json=POLICY, headers=SUPERVISOR)).status_code == 200
    await service.execute("INSERT INTO accounts (customer_id, email) VALUES ('CUST-1', 'ap@cust1.example')")
    due = date(2026, 1, 31)
    await service.issue("INV-N1", "400.00", due_date=due)
    await service.issue("INV-N2", "20.00", due_date=due)  # below the minimum
    disputed = await service.issue("INV-N3", "300.00", due_date=due)
    await service.issue("INV-N4", "250.00", customer="CUST-2", due_date=due)
    await service.client.post("/disputes", json={"invoice_id": str(disputed), "reason": "pricing"},
                              headers=COLLECTOR)
    await service.client.post("/promises", headers=COLLECTOR, json={
        "legal_entity": "US01", "customer_id": "CUST-2", "currency": "USD", "amount": "250.00",
        "promised_date": "2026-03-31"})
    first = await run(service, "2026-02-10")
    assert (first["sent"], first["already_sent"], first["skipped_disputed_or_promised"]) == (1, 0, 2)
    assert [m["To"] for m in sink.messages] == ["ap@cust1.example"]
    assert "INV-N1" in sink.messages[0]["Subject"] and "[friendly]" in sink.messages[0]["Subject"]
    again = await run(service, "2026-02-10")
    assert (again["sent"], again["already_sent"]) == (0, 1) and len(sink.messages) == 1
    later = await run(service, "2026-03-05")
    assert later["sent"] == 1 and "[firm]" in sink.messages[-1]["Subject"]
    rows = await service.rows("SELECT level FROM dunning_notices ORDER BY level")
    assert [r[0] for r in rows] == [1, 2]
    assert (await service.outbox_types()).count("dunning.notice_sent") == 2


async def test_a_refusing_mail_server_leaves_the_notice_for_the_next_run(service: Service, sink: SmtpSink) -> None:
    await service.client.put("/dunning/policies/std", json=POLICY, headers=SUPERVISOR)
    await service.issue("INV-N5", "100.00", due_date=date(2026, 1, 31))
    port = service.settings.smtp_port
    service.settings.smtp_port = 1  # nothing listens there
    failed = await run(service, "2026-02-10")
    assert failed["failed"] == 1 and await service.scalar("SELECT count(*) FROM dunning_notices") == 0
    service.settings.smtp_port = port
    assert (await run(service, "2026-02-10"))["sent"] == 1
    assert sink.messages[-1]["To"] == service.settings.dunning_fallback_recipient


async def test_dunning_bad_input_and_tokens(service: Service) -> None:
    for method, url in (("GET", "/dunning/policies"), ("PUT", "/dunning/policies/x"), ("POST", "/dunning/runs")):
        assert problem(await service.client.request(method, url), 401)
    assert problem(await service.client.post("/dunning/runs", headers=COLLECTOR), 403)
    bad = {"segment": "standard", "levels": [{"level": 0, "days_past_due": -1, "template": ""}]}
    assert problem(await service.client.put("/dunning/policies/std", json=bad, headers=SUPERVISOR), 422)
    assert problem(await service.client.post("/dunning/runs?as_of=later", headers=SUPERVISOR), 422)
