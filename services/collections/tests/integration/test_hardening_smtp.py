"""Issue 13 item 15: a mail server's own error text never reaches an API client. A refusal is kept with its reason
and SMTP reply code; the server's text (relay hosts, internal names, addresses) stays in the log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from o2c_cli.localstack import free_port
from services.collections.tests.conftest import COLLECTOR, Service
from services.collections.tests.integration.test_dunning import account, run

SECRET_TEXT = "5.7.1 relay denied for mx-internal.corp.example (10.20.30.40) user=svc-mailer"


class Refusing:
    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        return f"550 {SECRET_TEXT}"


@pytest.fixture
def refusing_server() -> Iterator[int]:
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


async def test_a_refusal_reaches_the_client_without_the_servers_text(service: Service, refusing_server: int) -> None:
    await account(service, "CUST-1", dunning_contacts=[{"email": "ap@cust1.example"}])
    await service.issue("INV-S1", "100.00", due_date=date(2026, 1, 31))
    service.settings.smtp_port = refusing_server
    failed = await run(service, "2026-02-10")
    statement = failed["statements"][0]
    assert statement["reason"] == "smtp_refused"
    assert statement["detail"] == f"SMTP 127.0.0.1:{refusing_server} refused the message (SMTP reply 550)"
    shown = (await service.client.get("/dunning/statements?status=failed", headers=COLLECTOR)).text
    assert "relay denied" not in shown and "10.20.30.40" not in shown and "mx-internal" not in shown
    assert "SMTP reply 550" in shown


async def test_an_unreachable_server_is_named_without_the_systems_error(service: Service) -> None:
    await account(service, "CUST-1", dunning_contacts=[{"email": "ap@cust1.example"}])
    await service.issue("INV-S2", "100.00", due_date=date(2026, 1, 31))
    service.settings.smtp_port = 1  # nothing listens there
    statement = (await run(service, "2026-02-10"))["statements"][0]
    assert (statement["reason"], statement["detail"]) == ("smtp_unreachable", "SMTP 127.0.0.1:1 could not be reached")
