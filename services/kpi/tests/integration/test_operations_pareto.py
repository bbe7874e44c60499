"""Pareto data of the reviews: invoicing's portal rejections (reason, the portal's code and text, the rejected
invoice's amount from kpi's AR read model) and collections' disputes resolved with a root cause, through the broker
into the kpi-operations read models, sorted with the cumulative share; per period and team."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from o2c_cli.testing import Infra, ServiceHarness, bearer
from o2c_common.events.contracts import collections as col, invoicing as inv
from o2c_common.events.examples import example_payload
from o2c_kpi.operations.models import OpsDispute, OpsRejection
from services.kpi.tests.integration.conftest import ingest, invoice, wrap
from services.kpi.tests.integration.operations_support import through_broker

pytestmark = pytest.mark.integration

NOV = {"start": "2026-11-01", "end": "2026-11-30"}


def at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC).replace(hour=9)


def rejected(invoice_id: uuid.UUID, team: str, reason: str, code: str, text: str | None,
             day: date) -> inv.InvoicePortalRejected:
    return example_payload(inv.InvoicePortalRejected, invoice_id=invoice_id, submission_id=uuid.uuid4(),
                           owning_team=team, reason=reason, portal_reason_code=code, reason_text=text,
                           rejected_at=at(day))


def dispute(team: str, currency: str, amount: str, root_cause: str | None, opened: date,
            resolved: date | None) -> list[Any]:
    common = {"dispute_id": uuid.uuid4(), "owning_team": team, "currency": currency, "amount": Decimal(amount),
              "reason": "pricing", "opened_at": at(opened)}
    out: list[Any] = [example_payload(col.DisputeOpened, **common, opened_date=opened)]
    if resolved is not None:
        out.append(example_payload(col.DisputeResolved, **common, root_cause=root_cause, resolved_date=resolved,
                                   resolved_at=at(resolved)))
    return out


async def test_rejection_reasons_and_dispute_root_causes_sorted_with_cumulative_share(
        api: ServiceHarness, infra: Infra) -> None:
    run = uuid.uuid4().hex[:6]
    team, other = f"pareto-{run}", f"pareto-other-{run}"
    a, b, c = (invoice("1000.00", date(2026, 10, 20), date(2026, 11, 19), team=team),
               invoice("500.00", date(2026, 10, 20), date(2026, 11, 19), team=team, currency="EUR"),
               invoice("200.00", date(2026, 10, 21), date(2026, 11, 20), team=team))
    d = invoice("300.00", date(2026, 10, 21), date(2026, 11, 20), team=other)
    await ingest(api.db, [e for i in (a, b, c, d) for e in i.issued()])  # the kpi facts: AR per invoice
    facts = [
        rejected(a.invoice_id, team, "missing_po", "PO-MISSING", "PO missing", date(2026, 11, 2)),
        rejected(b.invoice_id, team, "missing_po", "PO-MISSING", "PO missing", date(2026, 11, 3)),
        rejected(a.invoice_id, team, "missing_po", "PO-INV", "PO not found", date(2026, 11, 9)),  # again
        rejected(c.invoice_id, team, "tax_error", "TAX01", None, date(2026, 11, 30)),
        rejected(uuid.uuid4(), team, "price_mismatch", "PR", "Price", date(2026, 11, 4)),  # invoice not heard of
        rejected(d.invoice_id, other, "missing_po", "PO-MISSING", None, date(2026, 11, 5)),  # another team
        rejected(c.invoice_id, team, "tax_error", "TAX01", None, date(2026, 10, 30)),  # the previous period
        *dispute(team, "USD", "100", "pricing", date(2026, 10, 1), date(2026, 11, 3)),
        *dispute(team, "EUR", "50", "master_data", date(2026, 11, 1), date(2026, 11, 4)),
        *dispute(team, "USD", "25.50", "pricing", date(2026, 11, 2), date(2026, 11, 30)),
        *dispute(team, "USD", "999", None, date(2026, 11, 2), None),  # still open: no root cause yet
        *dispute(team, "USD", "999", "tax", date(2026, 11, 2), date(2026, 12, 1)),  # resolved after the period
    ]

    async def ready() -> bool:
        async with api.db.sessionmaker() as s:
            rejections = await s.scalar(select(func.count()).where(OpsRejection.owning_team.in_([team, other])))
            resolved = await s.scalar(select(func.count()).where(OpsDispute.owning_team == team,
                                                                 OpsDispute.resolved_at.is_not(None)))
            opened = await s.scalar(select(func.count()).where(OpsDispute.owning_team == team))
            return (rejections, resolved, opened) == (7, 4, 5)

    await through_broker(api.db, infra.kafka_bootstrap, [wrap(f) for f in facts], ready)

    answer = await api.client.get("/reviews/operations", params={**NOV, "team": team},
                                  headers=bearer("sdl", "service_delivery_lead"))
    assert answer.status_code == 200, answer.text
    current = answer.json()["current"]
    reasons = current["rejection_reasons"]
    assert reasons["total"] == 5
    assert [(b["label"], b["count"], b["share_percent"], b["cumulative_percent"]) for b in reasons["bars"]] == [
        ("Missing PO", 3, "60.0", "60.0"), ("Price mismatch", 1, "20.0", "80.0"), ("Tax error", 1, "20.0", "100.0")]
    missing_po = reasons["bars"][0]
    assert [(m["currency"], m["text"]) for m in missing_po["amounts"]] == [("EUR", "500.00 EUR"),
                                                                           ("USD", "2,000.00 USD")]
    assert missing_po["examples"] == ["PO-MISSING: PO missing (2)", "PO-INV: PO not found (1)"]
    assert reasons["bars"][1]["amounts"] == []  # the invoice is not in kpi's AR: counted, no amount
    assert reasons["bars"][2]["examples"] == ["TAX01 (1)"]

    causes = current["dispute_root_causes"]
    assert [(b["label"], b["count"], b["cumulative_percent"], [m["text"] for m in b["amounts"]])
            for b in causes["bars"]] == [("Pricing", 2, "66.7", ["125.50 USD"]), ("Master data", 1, "100.0",
                                                                                    ["50.00 EUR"])]
    previous = answer.json()["previous"]
    assert [(b["code"], b["count"]) for b in previous["rejection_reasons"]["bars"]] == [("tax_error", 1)]
    assert previous["dispute_root_causes"]["bars"] == []

    # a vendor agent of the other team sees its own rejections only
    theirs = (await api.client.get("/reviews/operations", params=NOV,
                                   headers=bearer("o", "vendor_agent", team=other))).json()
    assert [(b["code"], b["count"], [m["text"] for m in b["amounts"]])
            for b in theirs["current"]["rejection_reasons"]["bars"]] == [("missing_po", 1, ["300.00 USD"])]
