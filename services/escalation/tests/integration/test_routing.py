"""L1 routing by the account's owning team (collections' account master, `account.updated`), and readable case
texts (no `200.000000`, no `None`)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from o2c_common.events import Event
from o2c_common.events.base import EventPayload
from o2c_common.events.contracts.collections import AccountUpdated, BalanceOverdueEscalated, PromiseToPayBroken
from o2c_common.events.contracts.invoicing import InvoicePortalRejected
from o2c_common.events.contracts.kpi import SlaBreached
from o2c_escalation.main import handlers
from services.escalation.tests.conftest import SUPERVISOR, Service

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


async def handle(service: Service, payload: EventPayload) -> None:
    event = Event.new(payload, source="/o2c/tests")
    async with service.app.state.transactions.begin("system:escalation") as tx:
        await handlers(service.settings)[type(payload)](tx, event)


def account(customer: str, team: str | None, version: int, collector: str | None = "colin") -> AccountUpdated:
    return AccountUpdated(customer_id=customer, name="Acme", owning_team=team, collector=collector,
                          account_version=version, updated_by="sue", updated_at=NOW)


def broken(customer: str) -> PromiseToPayBroken:
    return PromiseToPayBroken(legal_entity="US01", customer_id=customer, promise_id=uuid.uuid4(), currency="USD",
                              amount=Decimal("1200.000000"), paid_amount=Decimal("0"),
                              promised_date=date(2026, 11, 1), broken_count=2, decided_at=NOW)


async def cases(service: Service) -> list[tuple[str, str, str]]:
    rows = await service.rows("SELECT customer_id, owning_team, l1_team FROM cases ORDER BY seq")
    return [tuple(r) for r in rows]


async def test_case_for_customer_routes_to_account_team(service: Service) -> None:
    await handle(service, account("C-ACME", "vendor-a", 1))
    await handle(service, broken("C-ACME"))  # the fact names no team: the account's
    await handle(service, broken("C-UNKNOWN"))  # no account: the desk
    assert await cases(service) == [("C-ACME", "vendor-a", "vendor-a"), ("C-UNKNOWN", "l1-desk", "l1-desk")]
    response = await service.client.get("/cases", headers={**SUPERVISOR}, params={"team": "vendor-a"})
    assert [c["customer_id"] for c in response.json()["items"]] == ["C-ACME"]


async def test_the_newest_account_version_wins_and_replays_change_nothing(service: Service) -> None:
    await handle(service, account("C-1", "vendor-b", 2))
    await handle(service, account("C-1", "vendor-a", 1))  # older, arriving late
    await handle(service, account("C-1", "vendor-b", 2))  # replayed
    rows = await service.rows("SELECT customer_id, owning_team, collector, version FROM account_teams")
    assert [tuple(r) for r in rows] == [("C-1", "vendor-b", "colin", 2)]
    await handle(service, account("C-1", None, 3))  # unassigned again: routing rules and the desk decide
    await handle(service, broken("C-1"))
    assert await cases(service) == [("C-1", "l1-desk", "l1-desk")]


async def test_case_texts_read_as_people_write_them(service: Service) -> None:
    await handle(service, SlaBreached(
        breach_key="dso:team:vendor-a:2026-11", breach_id=uuid.uuid4(), sla_id="dso", sla_name="DSO", metric="dso",
        unit="days", scope_type="team", scope_value="vendor-a", comparator="le", target=Decimal("45.000000"),
        severity="P2", owning_team="vendor-a", window_start=NOW, window_end=NOW, actual=None, breached_at=NOW))
    await handle(service, BalanceOverdueEscalated(
        legal_entity="US01", customer_id="C9", breach_id=uuid.uuid4(), rule_id="r1", rule_name="90+ days",
        currency="JPY", overdue_amount=Decimal("495000.000000"), max_days_past_due=95, as_of_date=date(2026, 11, 20),
        escalated_at=NOW, severity="P1"))
    await handle(service, broken("C-2"))
    await handle(service, InvoicePortalRejected(
        invoice_id=uuid.uuid4(), invoice_number="INV-1", legal_entity="US01", customer_id="C1", owning_team="vendor-b",
        submission_id=uuid.uuid4(), attempt=3, channel="coupa", portal_reason_code="PO-404", reason="invalid_po",
        root_cause="po", rejection_count=3, rejected_at=NOW))
    texts = [f"{r[0]} {r[1]}" for r in await service.rows("SELECT title, description FROM cases ORDER BY seq")]
    assert len(texts) == 4
    for text in texts:
        assert not re.search(r"\d\.\d{3,}", text), text
        assert "None" not in text, text
    assert "dso ≤ 45 days was missed (actual —)" in texts[0]
    assert "495,000 JPY overdue" in texts[1]
    assert "1,200.00 USD by 2026-11-01, 0.00 USD paid" in texts[2]
