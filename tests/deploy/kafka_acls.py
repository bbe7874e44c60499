"""The Kafka ACLs each service needs, derived from the code: the event registry (who publishes which type, so who
writes which topic) and each service's consumers (groups and the topics they read). The deployment files must
grant exactly these: each service writes its own topic, reads only what it consumes."""

from __future__ import annotations

import importlib

from o2c_common.events.base import REGISTRY, TOPICS
from o2c_common.kafka import dead_letter_topic

Acl = tuple[str, str, str, str]  # (resource type, name, pattern type, operation)


def consumers_of(service: str) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """(group id, topics, lane names) of each consumer group the service runs."""
    config = importlib.import_module(f"o2c_{service}.config")
    main = importlib.import_module(f"o2c_{service}.main")
    settings = getattr(config, f"{service.capitalize()}Settings")(_env_file=None)
    if not hasattr(main, "consumers"):
        return []
    return [(s.group_id, tuple(s.topics), tuple(name for name, _ in s.readers)) for s in main.consumers(settings)]


def expected_acls(service: str) -> set[Acl]:
    acls: set[Acl] = set()
    if service in {model.producer for model in REGISTRY.values()}:
        acls |= {("topic", TOPICS[service], "literal", op) for op in ("Write", "Describe")}
    for group, topics, lanes in consumers_of(service):
        acls |= {("topic", t, "literal", op) for t in topics for op in ("Read", "Describe")}
        acls |= {("topic", dead_letter_topic(lane), "literal", op) for lane in lanes for op in ("Write", "Describe")}
        acls.add(("group", group, "literal", "Read"))
        # a lane named otherwise was a group of its own: the group starts where it stopped (reads its offsets)
        acls |= {("group", lane, "literal", "Describe") for lane in lanes if lane != group}
    return acls


OPERATOR = "o2c-operator"


def operator_acls() -> set[Acl]:
    """`o2c dlq list/replay` and `o2c kpi rebuild`: read every dead-letter topic, write (and read) the event topics
    a letter goes back to, create and write a rebuild group's own dead-letter topic, use rebuild groups."""
    acls: set[Acl] = {("topic", "o2c.dlq.", "prefix", op) for op in ("Describe", "Read")}
    acls |= {("topic", "o2c.dlq.kpi-rebuild-", "prefix", op) for op in ("Create", "Describe", "Write")}
    acls.add(("group", "kpi-rebuild-", "prefix", "Read"))
    acls |= {("topic", t, "literal", op) for t in TOPICS.values() for op in ("Describe", "Read", "Write")}
    return acls
