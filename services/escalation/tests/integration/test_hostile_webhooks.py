"""Issue 13 items 8 (SSRF: the webhook goes to the address that was checked, resolved once) and 14 (webhook
secrets encrypted at rest; the dev key refused in prod)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from o2c_escalation.config import DEV_WEBHOOK_KEY, EscalationSettings
from o2c_escalation.webhooks.secrets import SecretBox
from o2c_escalation.webhooks.signing import verify
from services.escalation.tests.conftest import REQUESTER, Service
from services.escalation.tests.integration.test_webhooks import Receiver, deliver, receiver, subscribe

__all__ = ["receiver"]  # the fixture

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def receiving(host: str, port: int = 0) -> AsyncIterator[Receiver]:
    receiver = Receiver()
    server = await asyncio.start_server(receiver.handle, host, port)
    receiver.port = server.sockets[0].getsockname()[1]
    try:
        yield receiver
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await server.wait_closed()


async def test_the_secret_is_stored_encrypted_and_still_signs(service: Service, receiver: Receiver) -> None:
    subscription = await subscribe(service, receiver.url, "escalation.opened")
    stored = await service.scalar("SELECT secret FROM webhook_subscriptions")
    assert stored.startswith("fernet:") and subscription["secret"] not in stored
    assert SecretBox.of(service.settings).open(stored) == subscription["secret"]
    await service.open_case(REQUESTER, owning_team="vendor-a")
    assert await deliver(service) == 1
    [(headers, body)] = receiver.received
    assert verify(secret=subscription["secret"], header=headers["x-o2c-signature"], body=body, now=int(time.time()))


async def test_a_secret_stored_before_encryption_still_signs(service: Service, receiver: Receiver) -> None:
    await subscribe(service, receiver.url, "escalation.opened")
    await service.execute("UPDATE webhook_subscriptions SET secret = 'legacy-plain-secret'")
    await service.open_case(REQUESTER, owning_team="vendor-a")
    assert await deliver(service) == 1
    [(headers, body)] = receiver.received
    assert verify(secret="legacy-plain-secret", header=headers["x-o2c-signature"], body=body, now=int(time.time()))
    stored = await service.scalar("SELECT secret FROM webhook_subscriptions")
    assert stored.startswith("fernet:") and SecretBox.of(service.settings).open(stored) == "legacy-plain-secret"


async def test_the_delivery_goes_to_the_address_resolved_once(service: Service,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """rebind.test answers 127.0.0.1 first (allowed for that host), then 127.0.0.2 (a DNS rebinding to another
    inside service). The request reaches the first address, and the name was resolved once."""
    real_getaddrinfo = socket.getaddrinfo
    answers: list[str] = []

    def dns(host: Any, *args: Any, **kwargs: Any) -> Any:  # the outside party: a DNS answering what it likes
        if host in ("rebind.test", b"rebind.test"):
            answers.append("127.0.0.1" if not answers else "127.0.0.2")
            host = answers[-1]
        return real_getaddrinfo(host, *args, **kwargs)

    async with receiving("127.0.0.1") as checked, receiving("127.0.0.2", checked.port) as inside:
        await subscribe(service, f"http://rebind.test:{checked.port}/hook", "escalation.opened")
        monkeypatch.setattr(socket, "getaddrinfo", dns)
        await service.open_case(REQUESTER, owning_team="vendor-a")
        assert await deliver(service, webhook_allow_private_targets=False,
                             webhook_private_hosts=["rebind.test"]) == 1  # type: ignore[arg-type]
    assert len(checked.received) == 1 and inside.received == []
    assert checked.received[0][0]["host"] == f"rebind.test:{checked.port}"
    assert answers == ["127.0.0.1"]
    assert await service.scalar("SELECT status FROM webhook_deliveries") == "delivered"


async def test_a_name_resolving_to_a_private_address_is_refused_unless_listed(
        service: Service, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: real_getaddrinfo(
        "127.0.0.1" if host in ("inside.test", b"inside.test") else host, *a, **k))
    await subscribe(service, f"http://inside.test:{receiver.port}/hook", "escalation.opened")
    await service.open_case(REQUESTER, owning_team="vendor-a")
    assert await deliver(service, webhook_allow_private_targets=False) == 1
    assert receiver.received == []
    error = await service.scalar("SELECT last_error FROM webhook_deliveries")
    assert error == "target not allowed: inside.test is at 127.0.0.1, not a public address"


def test_prod_needs_a_real_webhook_secret_key() -> None:
    strong = {"environment": "prod", "jwt_secret": "k" * 40}
    with pytest.raises(ValidationError, match="webhook_secret_key is required"):
        EscalationSettings(**strong)
    for weak in (DEV_WEBHOOK_KEY, "change-me", "short-key"):
        with pytest.raises(ValidationError, match="webhook_secret_key is"):
            EscalationSettings(**strong, webhook_secret_key=SecretStr(weak))
    assert EscalationSettings(**strong, webhook_secret_key=SecretStr("r" * 48)).environment == "prod"


def test_a_rotated_key_still_opens_what_it_sealed() -> None:
    old, new = "o" * 40, "n" * 40
    sealed = SecretBox(old).seal("s3cret")
    rotated = SecretBox(new, [old])
    assert rotated.open(sealed) == "s3cret" and not rotated.current(sealed)
    assert rotated.current(rotated.seal("s3cret"))
