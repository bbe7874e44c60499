"""The kpi-operations rows of one unit of work are written at commit, one statement per table: several events of
one aggregate in the same transaction (a consumer batch) end as the last of them says, an older outlook or review
heard after a newer one changes nothing, and an update reaches the row an earlier event of the batch created."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from o2c_common.db import Database
from o2c_common.events.contracts import collections as col, escalation as esc, workforce as wf
from o2c_common.events.examples import example_payload
from o2c_kpi.operations.models import OpsAction, OpsCase, OpsDispute, OpsQualityReview
from services.kpi.tests.integration.conftest import wrap
from services.kpi.tests.integration.operations_support import handle

pytestmark = pytest.mark.integration
T = datetime(2026, 11, 2, 9, tzinfo=UTC)


async def test_events_of_one_aggregate_in_one_transaction(kpi_db: Database) -> None:
    sample, dispute, case, action = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    fact = {"case_id": case, "case_number": "ESC-1", "owning_team": "desk", "tier": "L1", "assignee": None}
    d = {"dispute_id": dispute, "owning_team": "desk", "currency": "USD", "amount": Decimal("10"), "opened_at": T}
    events = [
        example_payload(wf.QualityReviewed, sample_id=sample, score=Decimal(50), reviewed_at=T + timedelta(hours=1)),
        example_payload(wf.QualityReviewed, sample_id=sample, score=Decimal(90), reviewed_at=T),  # older: ignored
        example_payload(col.DisputeOpened, **d),
        example_payload(col.DisputeResolved, **d, root_cause="pricing", resolved_at=T + timedelta(days=1)),
        example_payload(esc.EscalationOpened, **fact, title="Stuck", opened_at=T),
        example_payload(esc.EscalationEscalated, **{**fact, "owning_team": "supervisors", "tier": "L2"},
                        escalated_at=T + timedelta(hours=2)),
        example_payload(esc.CaseActionChanged, **fact, action_id=action, status="open", created_at=T, changed_at=T),
        example_payload(esc.CaseActionChanged, **fact, action_id=action, status="done", created_at=T,
                        completed_at=T + timedelta(hours=3), changed_at=T + timedelta(hours=3)),
    ]
    await handle(kpi_db, [wrap(e) for e in events])
    await handle(kpi_db, [wrap(events[2])])  # the opening heard again after the resolution: still resolved
    async with kpi_db.sessionmaker() as s:
        assert (await s.get(OpsQualityReview, sample)).score == Decimal(50)  # type: ignore[union-attr]
        stored = await s.get(OpsDispute, dispute)
        assert stored is not None and (stored.root_cause, stored.resolved_at) == ("pricing", T + timedelta(days=1))
        moved = await s.get(OpsCase, case)
        assert moved is not None and (moved.owning_team, moved.tier, moved.title) == ("supervisors", "L2", "Stuck")
        done = (await s.scalars(select(OpsAction).where(OpsAction.action_id == action))).one()
        assert (done.status, done.closed_at) == ("done", T + timedelta(hours=3))
