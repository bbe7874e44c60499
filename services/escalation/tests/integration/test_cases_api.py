from __future__ import annotations

import pytest

from services.escalation.tests.conftest import REQUESTER, Service

pytestmark = pytest.mark.integration


async def test_open_case_routes_to_l1_starts_clocks_and_emits_opened(service: Service) -> None:
    case = await service.open_case(REQUESTER, owning_team="vendor-a", customer_id="CUST-1")
    assert case["tier"] == "L1" and case["owning_team"] == "vendor-a" and case["status"] == "open"
    assert case["acknowledge_due_at"] is not None and case["resolve_due_at"] is not None
    assert await service.outbox_types() == ["escalation.opened"]
    timers = await service.rows("SELECT clock, status, target_seconds FROM sla_timers ORDER BY clock")
    assert [(c, s) for c, s, _ in timers] == [("acknowledge", "running"), ("resolve", "running")]
