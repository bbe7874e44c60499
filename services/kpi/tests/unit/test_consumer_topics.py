"""kpi's projections share one consumer group, each in a lane of its own; the group subscribes to the topics its
lanes' handled types are published on, no more."""

from __future__ import annotations

from o2c_common.events import TOPICS
from o2c_common.inbox import topics_of
from o2c_kpi.config import KpiSettings
from o2c_kpi.main import PROJECTIONS_GROUP, consumers


def test_one_group_reads_for_the_three_projections() -> None:
    (spec,) = consumers(KpiSettings(_env_file=None))
    lanes = dict(spec.readers)

    assert spec.group_id == PROJECTIONS_GROUP
    assert list(lanes) == ["kpi", "kpi-sla", "kpi-operations"]  # the inbox names and dead-letter topics as before
    assert TOPICS["workforce"] not in topics_of(lanes["kpi"])  # the facts handle no workforce event
    assert TOPICS["workforce"] in topics_of(lanes["kpi-operations"])
    assert TOPICS["kpi"] not in spec.topics  # no projection reads kpi's own events
    assert set(spec.topics) == {topic for handlers in lanes.values() for topic in topics_of(handlers)}
