"""Issue 13 item 8 (SSRF) and 14 (per-portal callback secrets): portal hosts are allow-listed, the connection goes
to the address that was checked, a portal's answer reaches only its own submissions, and one malformed poll
answer does not stop the polling of the other portals."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from o2c_cli.testing import Infra, serving
from o2c_common.db import Database
from o2c_common.egress import pinned_client
from o2c_invoicing.channels.status_messages import invoice_response
from o2c_invoicing.config import DEV_CALLBACK_SECRET
from o2c_invoicing.main import create_app
from o2c_invoicing.portal.service import poll_once
from o2c_invoicing.simulator.app import SimulatorSettings, create_app as simulator_app
from o2c_invoicing.submissions.signing import signed_headers
from services.invoicing.tests.conftest import PREPARER, SUPERVISOR, Service, problem, settings_for
from services.invoicing.tests.portal import eventually, serving as listening

pytestmark = pytest.mark.integration

PROFILE = {"name": "Acme", "legal_entity": "US01", "currency": "USD", "channel": "coupa",
           "portal_account": "acme-7781", "tax_id": "US123"}
PORTAL_A_SECRET = "portal-a-secret-0123456789abcdef0123"


@asynccontextmanager
async def invoicing(infra: Infra, db: Database, **overrides: Any) -> AsyncIterator[Service]:
    settings = settings_for(db.url, infra, **overrides)
    app = create_app(settings)
    async with serving(app, base_url="http://invoicing") as client:
        yield Service(app=app, client=client, db=db, settings=settings)


async def put_profile(service: Service, customer: str, portal_url: str, **extra: Any) -> httpx.Response:
    return await service.client.put(f"/billing-profiles/{customer}", headers=SUPERVISOR,
                                    json={**PROFILE, "portal_url": portal_url, **extra})


def quiet_simulator(**overrides: Any) -> Any:
    return simulator_app(SimulatorSettings(callback_url=None, review_delay_s=0, schedule_delay_s=0, pay_delay_s=0,
                                           **overrides))


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata: link-local, and not allow-listed
    "http://10.0.0.7:5432/",  # a private address
    "http://intranet.example.com/invoices",  # a host nobody allow-listed
    "http://127.0.0.1.nip.io:8010/",  # a name, not the allow-listed address
])
async def test_a_portal_url_outside_the_allow_list_is_refused_when_written(service: Service, url: str) -> None:
    body = problem(await put_profile(service, "CUST-1", url), 422)
    assert body["type"].endswith("/portal-url-not-allowed")
    assert body["errors"][0]["pointer"] == "#/portal_url"
    assert (await service.counts())[3] == 0


async def test_the_connection_goes_to_the_checked_address_never_to_a_private_one(
        infra: Infra, inv_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """portal.test is allow-listed, but not as a private host: its name resolving to loopback (a DNS answer the
    attacker controls) is refused at the connection, and the portal listening there receives nothing."""
    real_getaddrinfo = socket.getaddrinfo

    def dns(host: Any, *args: Any, **kwargs: Any) -> Any:  # the outside party: a DNS answering what it likes
        return real_getaddrinfo("127.0.0.1" if host in ("portal.test", b"portal.test") else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    portal_app = quiet_simulator()
    async with listening(portal_app) as portal, invoicing(
            infra, inv_db, portal_allowed_hosts=["portal.test"], portal_private_hosts=[]) as service:
        port = portal.rsplit(":", 1)[1]
        assert (await put_profile(service, "CUST-1", f"http://portal.test:{port}")).status_code == 201
        invoice = await service.issued()
        body = problem(await service.act(invoice["id"], "submit", PREPARER), 502)
        assert "portal.test is at 127.0.0.1, not a public address" in body["detail"]
        assert portal_app.state.portal.documents == {}  # nothing reached the portal


async def test_a_portal_signing_with_the_shared_secret_cannot_touch_a_portal_with_its_own(
        infra: Infra, inv_db: Database) -> None:
    async with listening(quiet_simulator()) as portal_a, invoicing(
            infra, inv_db, portal_callback_secrets={portal_a.removeprefix("http://"): PORTAL_A_SECRET}) as service:
        assert (await put_profile(service, "CUST-1", portal_a)).status_code == 201
        invoice = await service.issued()
        assert (await service.act(invoice["id"], "submit", PREPARER)).status_code == 200
        [submission] = (await service.client.get(f"/invoices/{invoice['id']}/submissions",
                                                 headers=SUPERVISOR)).json()
        paid = json.dumps({"reference": submission["portal_reference"], "status": "PAID"}).encode()
        now = int(time.time())
        # another portal, holding only the shared secret, reports invoice A paid: no such submission for it
        problem(await service.client.post("/portal/callbacks", content=paid,
                                          headers=signed_headers(DEV_CALLBACK_SECRET, timestamp=now, body=paid)), 404)
        # naming portal A without its secret
        problem(await service.client.post("/portal/callbacks", content=paid, headers=signed_headers(
            DEV_CALLBACK_SECRET, timestamp=now, body=paid, portal=portal_a.removeprefix("http://"))), 401)
        assert (await service.client.get(f"/invoices/{invoice['id']}", headers=SUPERVISOR)).json()[
            "status"] == "submitted"
        approved = json.dumps({"reference": submission["portal_reference"], "status": "AP"}).encode()
        answer = await service.client.post("/portal/callbacks", content=approved, headers=signed_headers(
            PORTAL_A_SECRET, timestamp=now, body=approved, portal=portal_a.removeprefix("http://")))
        assert answer.status_code == 200 and answer.json()["invoice_status"] == "portal_approved"


def hostile_portal(answer: Any) -> FastAPI:
    """A portal that takes documents and answers every status poll with ``answer``."""
    app = FastAPI()

    @app.post("/invoices")
    async def take(request: Request) -> dict[str, str]:
        await request.body()
        return {"reference": "H-1", "status": "received"}

    @app.get("/invoices/{reference}")
    async def status(reference: str) -> Any:
        return answer

    return app


@pytest.mark.parametrize("answer", [
    {"history": [{"status": "ZZ"}]},  # an unknown status code
    {"history": "PAID"},  # not a list
    [1, 2, 3],  # not an object
    {"history": [{"status": "PAID", "payment_date": "someday"}]},  # a field that is not one
    {"status": "PAID", "padding": "x" * (2 << 20)},  # 2 MiB: more than a status answer may hold
])
async def test_one_malformed_poll_answer_does_not_stop_polling_the_others(service: Service, answer: Any) -> None:
    good_portal = quiet_simulator()
    async with listening(hostile_portal(answer)) as hostile, listening(good_portal) as good, \
            pinned_client(service.settings.portal_policy()) as client:
        assert (await put_profile(service, "CUST-1", hostile, polls=True)).status_code == 201
        assert (await put_profile(service, "CUST-2", good, polls=True)).status_code == 201
        bad_invoice = await service.issued(customer_id="CUST-1")
        good_invoice = await service.issued(customer_id="CUST-2")
        for invoice in (bad_invoice, good_invoice):
            assert (await service.act(invoice["id"], "submit", PREPARER)).status_code == 200

        async def paid_at_portal() -> bool:
            return any(doc.view()["status"] == "PAID" for doc in good_portal.state.portal.documents.values())

        await eventually(paid_at_portal)
        assert await poll_once(service.app.state.transactions, settings=service.settings, client=client) == 2
    statuses = {i["id"]: (await service.client.get(f"/invoices/{i['id']}", headers=SUPERVISOR)).json()["status"]
                for i in (bad_invoice, good_invoice)}
    assert statuses == {bad_invoice["id"]: "submitted", good_invoice["id"]: "paid_by_customer"}
    polled = await service.scalar("SELECT count(*) FROM submissions WHERE last_polled_at IS NOT NULL")
    assert polled == 2  # the malformed one is not asked again at once either


async def test_a_status_message_naming_another_portals_invoice_is_not_applied(infra: Infra, inv_db: Database) -> None:
    """Standard messages name the invoice by its number: only the portal the invoice went to may report on it."""
    async with listening(quiet_simulator()) as portal_a, invoicing(
            infra, inv_db, portal_callback_secrets={portal_a.removeprefix("http://"): PORTAL_A_SECRET}) as service:
        peppol = {"channel": "peppol", "peppol_participant_id": "0088:5790000435968"}
        assert (await put_profile(service, "CUST-1", portal_a, **peppol)).status_code == 201
        invoice = await service.issued()
        assert (await service.act(invoice["id"], "submit", PREPARER)).status_code == 200
        rejected = invoice_response(invoice_number=invoice["number"], code="RE", sender=("0088", "5790000435968", "A"),
                                    receiver=("0060", "123456789", "o2c"), reasons=[("PRI", "price")])
        now = int(time.time())
        shared = signed_headers(DEV_CALLBACK_SECRET, timestamp=now, body=rejected)  # another portal's message
        problem(await service.client.post("/portal/messages", content=rejected, headers=shared), 404)
        assert (await service.client.get(f"/invoices/{invoice['id']}", headers=SUPERVISOR)).json()[
            "status"] == "submitted"
        own = signed_headers(PORTAL_A_SECRET, timestamp=now, body=rejected, portal=portal_a.removeprefix("http://"))
        answer = await service.client.post("/portal/messages", content=rejected, headers=own)
        assert answer.status_code == 200 and answer.json()["invoice_status"] == "portal_rejected"
