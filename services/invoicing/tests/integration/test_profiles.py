"""Issue 12, A9: billing contacts and cadence on the profile; the billing deadline on invoice.issued; the owning
team comes from collections' account master (account.updated); a vendor agent can no longer claim an unowned
customer by creating its profile."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from o2c_cli.testing import mail_sink
from o2c_common.events import Event
from o2c_common.events.contracts.collections import AccountUpdated
from o2c_common.events.examples import example_payload
from services.invoicing.tests.conftest import AGENT_A, AGENT_B, PREPARER, SUPERVISOR, VIEWER, Service, problem
from services.invoicing.tests.integration.test_submissions import put_profile
from services.invoicing.tests.ledger import handle

pytestmark = pytest.mark.integration

PROFILE = {"name": "Acme", "legal_entity": "US01", "currency": "USD", "channel": "coupa"}


def account(customer: str, team: str | None, version: int) -> Event:
    return Event.new(example_payload(AccountUpdated, customer_id=customer, owning_team=team, account_version=version,
                                     parent_customer_id=None, updated_at=datetime.now(UTC)),
                     source="/o2c/collections")


async def test_profiles_vendor_agent_cannot_claim_an_unowned_customer(service: Service) -> None:
    body = problem(await service.client.put("/billing-profiles/CUST-9", json={**PROFILE, "owning_team": "vendor-a"},
                                            headers=AGENT_A), 403)
    assert "ask an AR supervisor to assign the account" in body["detail"]
    problem(await service.client.put("/billing-profiles/CUST-9", json=PROFILE, headers=AGENT_A), 403)
    assert await service.scalar("SELECT count(*) FROM billing_profiles") == 0


async def test_owning_team_from_the_account_master(service: Service) -> None:
    assert (await service.client.put("/billing-profiles/CUST-1", json=PROFILE, headers=SUPERVISOR)).status_code == 201
    await handle(service, account("CUST-1", "vendor-a", 2), account("CUST-1", "vendor-b", 1))  # the older: ignored
    profile = (await service.client.get("/billing-profiles/CUST-1", headers=AGENT_A))
    assert profile.json()["owning_team"] == "vendor-a"
    # the vendor agent keeps its profile up to date but cannot hand it to another team
    changed = await service.client.put("/billing-profiles/CUST-1", json={**PROFILE, "name": "Acme Inc."},
                                       headers={**AGENT_A, "If-Match": profile.headers["ETag"]})
    assert changed.status_code == 200 and changed.json()["owning_team"] == "vendor-a"
    problem(await service.client.put("/billing-profiles/CUST-1", json={**PROFILE, "owning_team": "vendor-b"},
                                     headers={**AGENT_A, "If-Match": changed.headers["ETag"]}), 403)
    problem(await service.client.get("/billing-profiles/CUST-1", headers=AGENT_B), 403)
    audit = await service.scalar("SELECT after FROM audit_log WHERE action = 'billing_profile.team_from_account'")
    assert "vendor-a" in str(audit)


async def test_issue_sets_the_billing_deadline_from_the_cadence(service: Service) -> None:
    await put_profile(service, billing_cadence="service_period_end", billing_lag_days=5)
    invoice = await service.issued(service_period_start="2026-02-01", service_period_end="2026-02-28")
    assert invoice["billing_deadline"] == "2026-03-05"
    payload = json.loads(await service.scalar("SELECT payload FROM outbox WHERE event_type = 'o2c.invoice.issued.v1'"))
    assert payload["billing_deadline"] == "2026-03-05"


async def test_e_mail_goes_to_the_primary_billing_contact_with_the_others_in_copy(service: Service,
                                                                                    tmp_path: Path) -> None:
    contacts: list[dict[str, Any]] = [
        {"name": "AP desk", "email": "ap@acme.example", "role": "billing"},
        {"name": "Ann", "email": "ann@acme.example", "role": "billing", "is_primary": True, "language": "de"},
        {"name": "Escalations", "email": "boss@acme.example", "role": "escalation"}]
    await put_profile(service, channel="email", contacts=contacts)
    invoice = await service.issued()
    with mail_sink(tmp_path / "mail") as sink:
        service.settings.smtp_port = sink.port
        assert (await service.act(invoice["id"], "submit", PREPARER)).status_code == 200
    mail = sink.raw[0].decode()
    assert "To: ann@acme.example" in mail and "Cc: ap@acme.example" in mail and "boss@" not in mail
    assert "110.01 USD" in mail
    assert (await service.client.get("/billing-profiles/CUST-1", headers=PREPARER)).json()["contacts"][1][
        "is_primary"] is True
    problem(await service.client.get("/billing-profiles/CUST-1", headers=VIEWER), 403)  # contacts, tax ids
    two = [{**c, "is_primary": True} for c in contacts[:2]]
    problem(await service.client.put("/billing-profiles/CUST-2", headers=SUPERVISOR, json={
        **PROFILE, "channel": "email", "contacts": two}), 422)
