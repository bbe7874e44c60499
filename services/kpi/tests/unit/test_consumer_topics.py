"""Each kpi consumer group subscribes to the topics its handled types are published on, no more."""

from __future__ import annotations

from o2c_common.events import TOPICS
from o2c_common.inbox import topics_of
from o2c_kpi.config import KpiSettings
from o2c_kpi.main import consumers


def test_each_group_reads_what_it_handles() -> None:
    groups = {spec.group_id: spec for spec in consumers(KpiSettings(_env_file=None))}

    assert TOPICS["workforce"] not in groups["kpi"].topics  # the facts handle no workforce event
    assert TOPICS["kpi"] not in groups["kpi-sla"].topics  # nor does the SLA group read kpi's own events
    assert TOPICS["workforce"] in groups["kpi-operations"].topics
    assert all(spec.topics == topics_of(spec.handlers) for spec in groups.values())
