"""Webhooks against a real local HTTP receiver: signature, retry with backoff after 500s, failure, replay."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from o2c_escalation.webhooks.sender import deliver_due
from o2c_escalation.webhooks.signing import verify
from services.escalation.tests.conftest import INTEGRATION, REQUESTER, SUPERVISOR, Service, problem

pytestmark = pytest.mark.integration


@dataclass
class Receiver:
    """A tiny HTTP/1.1 server answering each request with the next status of ``statuses`` (then 200)."""

    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")[1:]
        headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines if ":" in line)}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.received.append((headers, body))
        status = self.statuses.pop(0) if self.statuses else 200
        writer.write(f"HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".encode())
        await writer.drain()
        writer.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    server = await asyncio.start_server(r.handle, "127.0.0.1", 0)
    r.port = server.sockets[0].getsockname()[1]
    try:
        yield r
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await server.wait_closed()


async def subscribe(service: Service, url: str, *types: str) -> dict[str, str]:
    response = await service.client.post("/webhooks/subscriptions", headers=INTEGRATION,
                                         json={"name": "itsm", "url": url, "event_types": list(types)})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def deliver(service: Service, **overrides: float | int) -> int:
    settings = service.settings.model_copy(update={"webhook_backoff_base_s": 0, **overrides})
    async with httpx.AsyncClient() as client:
        return await deliver_due(service.app.state.transactions, settings=settings, client=client)


async def test_signed_delivery_of_subscribed_types_only(service: Service, receiver: Receiver) -> None:
    subscription = await subscribe(service, receiver.url, "escalation.opened")
    case = await service.open_case(REQUESTER, owning_team="vendor-a")
    await service.transition(case["id"], "acknowledge", SUPERVISOR)  # not subscribed: no delivery
    assert await deliver(service) == 1
    assert await deliver(service) == 0
    [(headers, body)] = receiver.received
    assert verify(secret=subscription["secret"], header=headers["x-o2c-signature"], body=body, now=int(time.time()))
    assert not verify(secret="wrong", header=headers["x-o2c-signature"], body=body, now=int(time.time()))
    assert headers["x-o2c-event-type"] == "escalation.opened"
    envelope = json.loads(body)
    assert envelope["type"] == "o2c.escalation.opened.v1" and envelope["data"]["case_id"] == case["id"]
    log = (await service.client.get("/webhooks/deliveries", headers=INTEGRATION)).json()["items"]
    assert [(d["status"], d["attempts"], d["last_status_code"]) for d in log] == [("delivered", 1, 200)]


async def test_retries_with_backoff_then_fails_and_replay_delivers(service: Service, receiver: Receiver) -> None:
    await subscribe(service, receiver.url, "escalation.opened")
    receiver.statuses = [500, 503, 500]
    await service.open_case(REQUESTER)
    assert await deliver(service, webhook_backoff_base_s=3600) == 1  # 500, next attempt in an hour
    assert await deliver(service) == 0  # not due yet: the backoff is stored in the database
    await service.execute("UPDATE webhook_deliveries SET next_attempt_at = now()")
    assert await deliver(service, webhook_max_attempts=3) == 1  # 503
    await service.execute("UPDATE webhook_deliveries SET next_attempt_at = now()")
    assert await deliver(service, webhook_max_attempts=3) == 1  # 500, third attempt: failed
    [delivery] = (await service.client.get("/webhooks/deliveries?status=failed", headers=INTEGRATION)).json()["items"]
    assert (delivery["attempts"], delivery["last_status_code"]) == (3, 500)
    detail = (await service.client.get(f"/webhooks/deliveries/{delivery['id']}", headers=INTEGRATION)).json()
    assert [a["status_code"] for a in detail["log"]] == [500, 503, 500]

    replayed = await service.client.post(f"/webhooks/deliveries/{delivery['id']}/replay", headers=INTEGRATION)
    assert replayed.status_code == 200 and replayed.json()["status"] == "pending"
    assert await deliver(service) == 1
    assert len(receiver.received) == 4
    detail = (await service.client.get(f"/webhooks/deliveries/{delivery['id']}", headers=INTEGRATION)).json()
    assert detail["status"] == "delivered"
    again = await service.client.post(f"/webhooks/deliveries/{delivery['id']}/replay", headers=INTEGRATION)
    problem(again, 409)  # only failed deliveries are replayed


async def test_bulk_replay_and_unreachable_receiver(service: Service) -> None:
    await subscribe(service, "http://127.0.0.1:9/nothing-listens", "escalation.opened")
    await service.open_case(REQUESTER)
    await service.open_case(REQUESTER)
    assert await deliver(service, webhook_max_attempts=1) == 2
    errors = await service.rows("SELECT status, last_error IS NOT NULL FROM webhook_deliveries")
    assert [tuple(r) for r in errors] == [("failed", True), ("failed", True)]
    result = await service.client.post("/webhooks/deliveries/replay", json={}, headers=INTEGRATION)
    assert result.json() == {"replayed": 2}


async def test_webhook_api_needs_the_integration_role_and_valid_input(service: Service) -> None:
    problem(await service.client.get("/webhooks/subscriptions", headers=REQUESTER), 403)
    problem(await service.client.get("/webhooks/subscriptions"), 401)
    for body in [{}, {"name": "x", "url": "not a url", "event_types": ["escalation.opened"]},
                 {"name": "x", "url": "http://h/", "event_types": ["invoice.issued"]},
                 {"name": "x", "url": "http://h/", "event_types": []}]:
        problem(await service.client.post("/webhooks/subscriptions", json=body, headers=INTEGRATION), 422)
    problem(await service.client.post("/webhooks/deliveries/not-a-uuid/replay", headers=INTEGRATION), 422)
    assert await service.scalar("SELECT count(*) FROM webhook_subscriptions") == 0


async def test_subscriptions_to_non_public_addresses_are_refused_unless_allowed(service: Service) -> None:
    service.app.state.settings = service.settings.model_copy(update={"webhook_allow_private_targets": False})
    try:
        for url in ("http://127.0.0.1:9/hook", "http://localhost/hook", "http://169.254.169.254/latest/meta-data",
                    "http://10.0.0.5/hook", "http://[::1]/hook", "https://api.localhost/hook"):
            body = {"name": "x", "url": url, "event_types": ["escalation.opened"]}
            found = problem(await service.client.post("/webhooks/subscriptions", json=body, headers=INTEGRATION), 422)
            assert found["type"].endswith("webhook-target-not-allowed"), found
        assert await service.scalar("SELECT count(*) FROM webhook_subscriptions") == 0
        public = {"name": "x", "url": "https://93.184.215.14/hook", "event_types": ["escalation.opened"]}
        created = await service.client.post("/webhooks/subscriptions", json=public, headers=INTEGRATION)
        assert created.status_code == 201, created.text
    finally:
        service.app.state.settings = service.settings


async def test_a_delivery_to_a_private_address_is_not_sent_when_private_targets_are_not_allowed(
        service: Service, receiver: Receiver) -> None:
    await subscribe(service, receiver.url, "escalation.opened")  # subscribed while allowed
    await service.open_case(REQUESTER, owning_team="vendor-a")
    assert await deliver(service, webhook_allow_private_targets=False) == 1
    assert receiver.received == []
    error = await service.scalar("SELECT last_error FROM webhook_deliveries")
    assert error.startswith("target not allowed: 127.0.0.1 is not a public address"), error
    assert await deliver(service) == 1  # allowed again: the retry goes out
    assert len(receiver.received) == 1
