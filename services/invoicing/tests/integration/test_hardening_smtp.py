"""Issue 13 item 15: a mail server's own error text never reaches an API client of invoicing: the 502 of a
submission by e-mail and the work queue's reason carry the SMTP reply code, not the server's text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from o2c_cli.localstack import free_port
from services.invoicing.tests.conftest import PREPARER, SUPERVISOR, Service, problem
from services.invoicing.tests.integration.test_submissions import put_profile
from services.invoicing.tests.integration.test_workqueues import queue

pytestmark = pytest.mark.integration
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


async def test_a_refusal_is_a_502_without_the_servers_text(service: Service, refusing_server: int) -> None:
    await put_profile(service, channel="email", email="ap@acme.example")
    invoice = await service.issued()
    service.settings.smtp_port = refusing_server
    body = problem(await service.act(invoice["id"], "submit", PREPARER), 502)
    assert body["detail"] == f"SMTP 127.0.0.1:{refusing_server} failed: refused the message (SMTP reply 550)"
    waiting = str((await queue(service, "delivery_failed"))[invoice["id"]])
    assert "SMTP reply 550" in waiting
    submissions = (await service.client.get(f"/invoices/{invoice['id']}/submissions", headers=SUPERVISOR)).text
    for shown in (str(body), waiting, submissions):
        assert "relay denied" not in shown and "10.20.30.40" not in shown and "mx-internal" not in shown
