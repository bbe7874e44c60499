"""Issue 13, items 5, 6 and 7: a team-scoped caller's cash application touches and shows only its team's items,
reads are narrowed to the caller's team (``/kpis/open-ar`` too), a token with no role sees no team, a vendor agent
claims no customer, and import jobs and webhook subscriptions answer their owner only."""

from __future__ import annotations

import uuid

import pytest

from o2c_cli.testing import problem
from o2c_common.auth import Principal, Role, visible_team
from o2c_common.errors import Forbidden
from tests.security.conftest import (
    ADMIN,
    AGENT_A,
    AGENT_B,
    COLLECTOR,
    SUPERVISOR,
    Running,
    header,
    issue_for_team,
)

pytestmark = pytest.mark.integration


async def open_amount(service: Running, invoice_id: uuid.UUID) -> str:
    response = await service.client.get(f"/receivables/{invoice_id}", headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    return str(response.json()["open_amount"])


async def test_cross_team_cash_touches_and_reveals_only_the_bookers_team(collections: Running) -> None:
    """Item 5: team B's agent books a payment naming team A's invoice: nothing of A is applied, the 201 answer
    names none of A's invoices, and B's agent cannot apply its cash to A's invoice by hand."""
    await collections.execute("INSERT INTO accounts (customer_id, owning_team, version) VALUES "
                              "('CUST-XA', 'vendor-a', 1), ('CUST-XB', 'vendor-b', 1)")
    theirs = await issue_for_team(collections, team="vendor-a", customer="CUST-XA", amount="100.00",
                                  number="US01-2026-700001")
    ours = await issue_for_team(collections, team="vendor-b", customer="CUST-XB", amount="40.00",
                                number="US01-2026-700002")
    body = {"legal_entity": "US01", "currency": "USD", "amount": "100.00", "value_date": "2026-02-01",
            "remittance": [{"reference": "US01-2026-700001", "amount": "100.00"}]}
    response = await collections.client.post("/payments", json=body, headers=AGENT_B)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["applications"] == [] and answer["candidates"] == []
    assert str(theirs) not in response.text and "700001" not in (answer.get("explanation") or "")
    assert answer["owning_team"] == "vendor-b"
    assert await open_amount(collections, theirs) == "100.00"
    # naming team A's customer is refused outright; by hand onto A's invoice too
    problem(await collections.client.post("/payments", json={**body, "customer_id": "CUST-XA"}, headers=AGENT_B),
            403)
    payment = await collections.client.get(f"/payments/{answer['id']}", headers=AGENT_B)
    manual = await collections.client.post(f"/payments/{answer['id']}/applications",
                                           json={"invoice_id": str(theirs), "amount": "100.00"},
                                           headers={**AGENT_B, "If-Match": payment.headers["ETag"]})
    assert problem(manual, 403)["type"].endswith("team-access-denied")
    # the same remittance from team A's agent is applied: the rule is the team, not the remittance
    mine = await collections.client.post("/payments", json={**body, "customer_id": "CUST-XA"}, headers=AGENT_A)
    assert mine.status_code == 201 and [a["invoice_id"] for a in mine.json()["applications"]] == [str(theirs)]
    # B's own invoice is still payable by B's agent
    own = {**body, "customer_id": "CUST-XB", "amount": "40.00",
           "remittance": [{"reference": "US01-2026-700002", "amount": "40.00"}]}
    assert (await collections.client.post("/payments", json=own, headers=AGENT_B)).json()["applications"]
    # the ledger agrees with what each side was told: A paid by A's cash, B by B's, B's first payment unapplied
    assert await open_amount(collections, theirs) == "0.00" and await open_amount(collections, ours) == "0.00"
    unapplied = (await collections.client.get("/payments/unapplied", headers=AGENT_B)).json()["items"]
    assert [(p["id"], p["unapplied_amount"]) for p in unapplied] == [(answer["id"], "100.00")]
    seen_by_a = (await collections.client.get("/payments/unapplied", headers=AGENT_A)).json()["items"]
    assert answer["id"] not in {p["id"] for p in seen_by_a}


async def test_import_jobs_answer_their_owner_only(collections: Running) -> None:
    """Item 7: another importer's job is a 404; the collector, not a bank-file importer, is refused."""
    csv = b"bank_reference,value_date,currency,amount,customer_id\nSEC-1,2026-02-01,USD,5.00,CUST-NONE\n"
    mine = header("feed-1", [Role.BANK_FILE_IMPORTER.value])
    response = await collections.client.post("/payment-imports?format=csv&legal_entity=US01", content=csv,
                                             headers=mine)
    assert response.status_code == 202, response.text
    job = response.json()["id"]
    assert (await collections.client.get(f"/payment-imports/{job}", headers=mine)).status_code == 200
    other = header("feed-2", [Role.BANK_FILE_IMPORTER.value])
    problem(await collections.client.get(f"/payment-imports/{job}", headers=other), 404)
    assert (await collections.client.get(f"/payment-imports/{job}", headers=ADMIN)).status_code == 200
    problem(await collections.client.post("/payment-imports?format=csv&legal_entity=US01", content=csv,
                                          headers=COLLECTOR), 403)


async def test_webhook_subscriptions_and_deliveries_answer_their_owner_only(escalation: Running) -> None:
    owner = header("pipeline-1", [Role.INTEGRATION.value])
    other = header("pipeline-2", [Role.INTEGRATION.value])
    body = {"name": "mine", "url": "https://hooks.example.com/o2c", "event_types": ["escalation.opened"]}
    created = await escalation.client.post("/webhooks/subscriptions", json=body, headers=owner)
    assert created.status_code == 201, created.text
    subscription = created.json()["id"]
    listed = (await escalation.client.get("/webhooks/subscriptions", headers=owner)).json()["items"]
    assert [s["id"] for s in listed] == [subscription]
    assert (await escalation.client.get("/webhooks/subscriptions", headers=other)).json()["items"] == []
    problem(await escalation.client.delete(f"/webhooks/subscriptions/{subscription}", headers=other), 404)
    # a failed delivery of the owner's subscription: the other integration can neither see nor replay it
    await escalation.execute(
        "INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, body, status, attempts, "
        "next_attempt_at, created_at) VALUES (:d, :s, :e, 'escalation.opened', '{}', 'failed', 5, now(), now())",
        d=(delivery := uuid.uuid4()), s=uuid.UUID(subscription), e=uuid.uuid4())
    problem(await escalation.client.get(f"/webhooks/deliveries/{delivery}", headers=other), 404)
    problem(await escalation.client.post(f"/webhooks/deliveries/{delivery}/replay", headers=other), 404)
    assert (await escalation.client.get("/webhooks/deliveries", headers=other)).json()["items"] == []
    replayed = await escalation.client.post("/webhooks/deliveries/replay", json={}, headers=other)
    assert replayed.json()["replayed"] == 0
    assert (await escalation.client.get(f"/webhooks/deliveries/{delivery}", headers=owner)).status_code == 200
    assert (await escalation.client.post("/webhooks/deliveries/replay", json={}, headers=owner)).json() == {
        "replayed": 1}
    assert (await escalation.client.delete(f"/webhooks/subscriptions/{subscription}", headers=owner)
            ).status_code == 204


async def test_a_vendor_agent_claims_no_customer_by_drafting_an_invoice(invoicing: Running) -> None:
    """Item 7: a customer without a billing profile belongs to no team: a vendor agent naming its own team on a
    draft would claim it (and every later invoice), so it is refused; an AR supervisor assigns the team."""
    body = {"legal_entity": "US01", "customer_id": "CUST-UNCLAIMED", "currency": "USD", "owning_team": "vendor-b",
            "lines": [{"description": "x", "quantity": "1", "unit_price": "1.00"}]}
    assert problem(await invoicing.client.post("/invoices", json=body, headers=AGENT_B), 403)["type"].endswith(
        "team-access-denied")
    listed = (await invoicing.client.get("/invoices", params={"customer_id": "CUST-UNCLAIMED"},
                                         headers=SUPERVISOR)).json()["items"]
    assert listed == []
    profile = {"name": "Unclaimed", "legal_entity": "US01", "currency": "USD", "channel": "email",
               "owning_team": "vendor-b"}
    problem(await invoicing.client.put("/billing-profiles/CUST-UNCLAIMED", json=profile, headers=AGENT_B), 403)
    assert (await invoicing.client.put("/billing-profiles/CUST-UNCLAIMED", json=profile,
                                       headers=SUPERVISOR)).status_code == 201
    created = await invoicing.client.post("/invoices", json=body, headers=AGENT_B)
    assert created.status_code == 201 and created.json()["owning_team"] == "vendor-b"


async def test_open_ar_is_narrowed_to_the_vendor_agents_team(kpi: Running) -> None:
    """Item 6: ``/kpis/open-ar`` of a vendor agent counts its team's invoices only; asking for another team's
    is a 403; a supervisor sees both or one team when it asks."""
    for team, amount in (("vendor-a", "100.00"), ("vendor-b", "7.00")):
        invoice = uuid.uuid4()
        await kpi.execute("INSERT INTO kpi_ar_invoices (invoice_id, legal_entity, currency, customer_id, owning_team,"
                          " issue_date, due_date, amount) VALUES (:i, 'US01', 'USD', :c, :t, '2026-01-01',"
                          " '2026-01-31', :a)", i=invoice, c=f"C-{team}", t=team, a=amount)
        await kpi.execute("INSERT INTO receivable_movements (event_id, line, invoice_id, customer_id, legal_entity,"
                          " currency, kind, amount, effective_date, resolved) VALUES (:e, 0, :i, :c, 'US01', 'USD',"
                          " 'issued', :a, '2026-01-01', true)", e=uuid.uuid4(), i=invoice, c=f"C-{team}", a=amount)

    async def totals(headers: dict[str, str], **params: str) -> list[tuple[str, str]]:
        response = await kpi.client.get("/kpis/open-ar", params={"as_of": "2026-02-01", **params}, headers=headers)
        assert response.status_code == 200, response.text
        return [(t["currency"], t["amount"]) for t in response.json()["totals"]]

    assert await totals(AGENT_A) == [("USD", "100.00")]
    assert await totals(AGENT_B) == [("USD", "7.00")]
    problem(await kpi.client.get("/kpis/open-ar", params={"team": "vendor-a"}, headers=AGENT_B), 403)
    assert await totals(SUPERVISOR) == [("USD", "107.00")]
    assert await totals(SUPERVISOR, team="vendor-b") == [("USD", "7.00")]


def test_a_token_with_no_role_sees_no_team() -> None:
    """Item 6: it counted as seeing every team; now it sees none (and passes no permission)."""
    nobody = Principal(subject="nobody")
    assert not nobody.sees_all_teams
    with pytest.raises(Forbidden):
        visible_team(nobody)
    assert not Principal(subject="x", roles=frozenset({"not-a-role"})).sees_all_teams
    assert Principal(subject="v", roles=frozenset({Role.VIEWER.value})).sees_all_teams
    assert not Principal(subject="a", roles=frozenset({Role.VENDOR_AGENT.value}), team="t").sees_all_teams
