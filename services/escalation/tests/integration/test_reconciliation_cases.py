"""kpi's reconciliation drifts as work items: one P2 case per drifting invoice (category reconciliation) in the
account's team, with the three figures readable; resolved when the services agree again and nobody touched it,
commented when someone did."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from o2c_common.events import Event
from o2c_common.events.base import EventPayload
from o2c_common.events.contracts.collections import AccountUpdated
from o2c_common.events.contracts.kpi import ReconciliationDriftCleared, ReconciliationDriftDetected
from o2c_escalation.main import handlers
from services.escalation.tests.conftest import AGENT_A, SUPERVISOR, Service

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


async def handle(service: Service, payload: EventPayload) -> None:
    event = Event.new(payload, source="/o2c/tests")
    async with service.app.state.transactions.begin("system:escalation") as tx:
        await handlers(service.settings)[type(payload)](tx, event)


def drift(invoice_id: uuid.UUID, **overrides: object) -> dict[str, object]:
    return {"drift_key": f"invoice:{invoice_id}", "invoice_id": invoice_id, "invoice_number": "US01-2026-000123",
            "customer_id": "C-ACME", "owning_team": None, "currency": "USD",
            "invoicing_open": Decimal("0.000000"), "collections_open": Decimal("83.510000"),
            "kpi_open": Decimal("83.51"), "first_seen_at": NOW, **overrides}


async def test_a_drift_opens_one_readable_case_in_the_account_team(service: Service) -> None:
    await handle(service, AccountUpdated(customer_id="C-ACME", owning_team="vendor-a", account_version=1,
                                         updated_by="sue", updated_at=NOW))
    invoice = uuid.uuid4()
    detected = ReconciliationDriftDetected(**drift(invoice), detected_at=NOW)  # type: ignore[arg-type]
    await handle(service, detected)
    await handle(service, detected)  # redelivered: still one case
    listed = (await service.client.get("/cases", headers=AGENT_A)).json()["items"]
    assert len(listed) == 1
    case = listed[0]
    assert case["title"] == "Invoice US01-2026-000123: ledger 83.51 USD, invoicing 0.00 USD, kpi 83.51 USD"
    assert (case["category"], case["severity"], case["owning_team"]) == ("reconciliation", "P2", "vendor-a")
    assert case["invoice_ids"] == [str(invoice)]
    missing = uuid.uuid4()
    await handle(service, ReconciliationDriftDetected(**drift(  # type: ignore[arg-type]
        missing, invoice_number=None, kpi_open=None, missing_in=("kpi",), currency="JPY",
        invoicing_open=Decimal("495000"), collections_open=Decimal("495000")), detected_at=NOW))
    titles = [r[0] for r in await service.rows("SELECT title FROM cases ORDER BY seq")]
    assert titles[1] == f"Invoice {missing}: ledger 495,000 JPY, invoicing 495,000 JPY, kpi missing"


async def test_cleared_resolves_an_untouched_case_and_comments_on_a_worked_one(service: Service) -> None:
    untouched, worked = uuid.uuid4(), uuid.uuid4()
    for invoice in (untouched, worked):
        await handle(service, ReconciliationDriftDetected(**drift(invoice), detected_at=NOW))  # type: ignore[arg-type]
    worked_case = await service.scalar("SELECT id FROM cases WHERE source_key = :k", k=f"reconciliation:{worked}")
    assert (await service.transition(str(worked_case), "acknowledge", SUPERVISOR)).status_code == 200
    for invoice in (untouched, worked):
        await handle(service, ReconciliationDriftCleared(**drift(invoice), cleared_at=NOW))  # type: ignore[arg-type]
    rows = await service.rows("SELECT source_key, status, resolution FROM cases ORDER BY seq")
    assert [tuple(r) for r in rows] == [(f"reconciliation:{untouched}", "resolved", "no_action_needed"),
                                        (f"reconciliation:{worked}", "acknowledged", None)]
    comments = await service.rows("SELECT author, body FROM case_comments WHERE case_id = :c", c=worked_case)
    assert len(comments) == 1 and comments[0][0] == "system:reconciliation"
    assert comments[0][1].startswith("The services agree again about invoice US01-2026-000123")
    await handle(service, ReconciliationDriftCleared(**drift(untouched), cleared_at=NOW))  # type: ignore[arg-type]
    assert await service.scalar("SELECT count(*) FROM case_comments") == 1  # nothing more to say
