"""Fixtures of the deployment tests: what the code says (settings, ports, routes, topics) and what the deployment
files say (Dockerfile, docker-compose.yml, rendered kustomize overlays). No cluster and no Docker: files are
parsed, rendered and validated (toolchain.py fetches kubectl and the schemas)."""

from __future__ import annotations

from typing import Any

import pytest

from o2c_common.events.base import TOPICS
from o2c_common.kafka import dead_letter_topic

from .support import (
    OVERLAYS,
    SERVICE_NAMES,
    Code,
    Rendered,
    SimulatorCode,
    Stage,
    app_paths,
    parse_dockerfile,
    service_code,
)
from .toolchain import ROOT, Tools, ensure_tools


@pytest.fixture(scope="session")
def code() -> Code:
    from o2c_invoicing.simulator.app import SimulatorSettings, create_app as create_simulator

    services = {name: service_code(name) for name in SERVICE_NAMES}
    groups = {g for s in services.values() for g in s.lanes}
    return Code(
        services=services,
        simulator=SimulatorCode(settings_cls=SimulatorSettings,
                                routes=app_paths(create_simulator())),
        event_topics=frozenset(TOPICS.values()),
        dead_letter_topics=frozenset(dead_letter_topic(g) for g in groups),
    )


@pytest.fixture(scope="session")
def tools() -> Tools:
    return ensure_tools()


@pytest.fixture(scope="session")
def rendered(tools: Tools) -> dict[str, Rendered]:
    out = {}
    for overlay in OVERLAYS:
        result = tools.validate_k8s(tools.kustomize(ROOT / "deploy" / "k8s" / "overlays" / overlay))
        out[overlay] = Rendered(name=overlay, objects=result["objects"], errors=result["errors"])
    return out


@pytest.fixture(scope="session")
def compose(tools: Tools) -> dict[str, Any]:
    return tools.load_yaml(ROOT / "docker-compose.yml")[0]


@pytest.fixture(scope="session")
def dockerfile() -> dict[str, Stage]:
    return {s.name: s for s in parse_dockerfile((ROOT / "Dockerfile").read_text())}
