"""docker-compose.yml, which cannot run here (no Docker engine): its structure, start order, topics, settings,
ports and images, checked against the code and .env.example."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .support import SHARED_PREFIX, Code, ServiceCode, env_file, interpolate, settings_from_env
from .toolchain import ROOT

ONE_SHOT = "service_completed_successfully"
HEALTHY = "service_healthy"
# variables only docker-compose.yml reads (interpolation), not settings of any service
COMPOSE_VARIABLES = {"POSTGRES_PASSWORD", "POSTGRES_SERVICE_PASSWORD", "PORTAL_CALLBACK_SECRET", "IMAGE_TAG",
                     "KAFKA_TLS_PASSWORD", "KAFKA_ADMIN_PASSWORD", "KAFKA_INVOICING_PASSWORD",
                     "KAFKA_COLLECTIONS_PASSWORD", "KAFKA_KPI_PASSWORD", "KAFKA_ESCALATION_PASSWORD",
                     "KAFKA_WORKFORCE_PASSWORD"}
# settings nobody sets: fixed per service in its settings class
NOT_CONFIGURABLE = {"service_name"}


def _variables() -> dict[str, str]:
    return env_file(ROOT / ".env.example")[0]


def _env(spec: dict[str, Any]) -> dict[str, str]:
    raw = spec.get("environment") or {}
    assert isinstance(raw, dict), "write environment as a mapping"
    return {k: interpolate(str(v), _variables()) for k, v in raw.items()}


def _o2c_containers(compose: dict[str, Any], code: Code) -> dict[str, tuple[dict[str, Any], ServiceCode]]:
    out = {}
    for name, spec in compose["services"].items():
        if str(spec.get("image", "")).startswith("o2c-"):
            out[name] = (spec, code.service_of_image(spec["image"]))
    return out


def _is_simulator(spec: dict[str, Any]) -> bool:
    return "o2c_invoicing.simulator.app:create_app" in (spec.get("command") or [])


def _is_migration(spec: dict[str, Any]) -> bool:
    return (spec.get("command") or [])[:1] == ["alembic"]


def test_start_order_waits_for_health_and_one_shot_steps(compose: dict[str, Any], code: Code) -> None:
    services = compose["services"]
    o2c_images = {n for n, s in services.items() if str(s.get("image", "")).startswith("o2c-")}
    for name, spec in services.items():
        depends = spec.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on needs conditions (mapping form)"
        for dependency, condition in depends.items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            target = services[dependency]
            if condition["condition"] == HEALTHY:
                # o2c images carry a HEALTHCHECK of their own (test_images); others need one here
                assert "healthcheck" in target or dependency in o2c_images, f"{dependency} has no health check"
            elif condition["condition"] == ONE_SHOT:
                assert target.get("restart") == "no", f"{dependency} is waited for to finish, so it must not restart"
            else:
                raise AssertionError(f"{name} -> {dependency}: condition {condition} starts too early")
    assert services["kafka-topics"]["depends_on"] == {"kafka": {"condition": HEALTHY}}
    for service in code.services.values():
        db, migrate = f"postgres-{service.name}", f"migrate-{service.name}"
        assert services[migrate]["depends_on"] == {db: {"condition": HEALTHY}}
        assert _is_migration(services[migrate]) and services[migrate]["command"][-2:] == ["upgrade", "heads"]
        assert services[service.name]["depends_on"][migrate] == {"condition": ONE_SHOT}
        worker = services[f"{service.name}-worker"]["depends_on"]
        assert worker == {migrate: {"condition": ONE_SHOT}, "kafka-topics": {"condition": ONE_SHOT}}


def test_infrastructure_has_health_checks_and_restarts(compose: dict[str, Any], code: Code) -> None:
    services = compose["services"]
    for service in code.services.values():
        pg = services[f"postgres-{service.name}"]
        assert pg["image"].startswith("postgres:")
        assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
        assert pg["environment"]["POSTGRES_DB"] == f"o2c_{service.name}"
        assert pg.get("volumes"), f"postgres-{service.name} keeps no data"
    assert "kafka-broker-api-versions" in " ".join(services["kafka"]["healthcheck"]["test"])
    for name, spec in services.items():
        one_shot = spec.get("restart") == "no"
        assert one_shot or spec.get("restart") == "unless-stopped", f"{name}: long-running without a restart policy"


def test_kafka_runs_kraft_on_one_node_with_replication_factor_one(compose: dict[str, Any]) -> None:
    env = compose["services"]["kafka"]["environment"]
    assert compose["services"]["kafka"]["image"].startswith("apache/kafka:")
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith(f"{env['KAFKA_NODE_ID']}@localhost:")  # loopback only
    factors = {k: v for k, v in env.items() if k.endswith(("REPLICATION_FACTOR", "MIN_ISR", "MIN_INSYNC_REPLICAS"))}
    assert {"KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
            "KAFKA_DEFAULT_REPLICATION_FACTOR"} <= set(factors)
    assert all(int(v) == 1 for v in factors.values()), factors
    assert str(env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"]).lower() == "false", "topics come from the kafka-topics step"
    assert "CLIENTS://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]  # SASL_SSL: test_kafka_security.py


def test_every_topic_of_the_code_is_created_before_the_services(compose: dict[str, Any], code: Code) -> None:
    step = compose["services"]["kafka-topics"]
    env = step["environment"]
    created = set(env["EVENT_TOPICS"].split()) | set(env["DEAD_LETTER_TOPICS"].split())
    assert code.topics <= created, f"docker-compose.yml does not create {sorted(code.topics - created)}"
    assert set(env["EVENT_TOPICS"].split()) == code.event_topics
    assert all(t.startswith("o2c.dlq.") for t in set(env["DEAD_LETTER_TOPICS"].split())), "dead letters: o2c.dlq.*"
    script = " ".join(step["command"])
    assert "--if-not-exists" in script and "$EVENT_TOPICS" in script and "$DEAD_LETTER_TOPICS" in script
    assert "--replication-factor 1" in script
    for spec, _ in _o2c_containers(compose, code).values():
        if not _is_simulator(spec) and not _is_migration(spec):
            assert _env(spec)["O2C_KAFKA_CREATE_TOPICS"] == "false"


def test_every_environment_variable_is_a_setting_and_every_required_one_is_set(
    compose: dict[str, Any], code: Code
) -> None:
    containers = _o2c_containers(compose, code)
    assert len(containers) == 3 * len(code.services) + 1  # migration, API, worker each, and the simulator
    for name, (spec, service) in containers.items():
        env = _env(spec)
        if _is_simulator(spec):
            assert set(env) <= code.simulator.env_names(), f"{name}: {set(env) - code.simulator.env_names()}"
            continue
        unknown = set(env) - service.env_names()
        assert not unknown, f"{name}: {sorted(unknown)} are no settings of {service.name}"
        settings = settings_from_env(service, env)
        assert settings.database_url.startswith("postgresql+asyncpg://")
        assert f"@postgres-{service.name}:5432/o2c_{service.name}" in settings.database_url
        if _is_migration(spec):
            continue
        required = {"database_url", "kafka_bootstrap_servers", "run_workers", "environment", "kafka_create_topics",
                    *service.secret_fields()}
        missing = required - settings.model_fields_set
        assert not missing, f"{name}: {sorted(missing)} left at the code's local default"
        assert settings.run_workers is name.endswith("-worker"), f"{name}: run_workers={settings.run_workers}"
        assert settings.kafka_bootstrap_servers == "kafka:9092"


def test_ports_paths_and_images_agree_with_the_code(compose: dict[str, Any], code: Code) -> None:
    services = compose["services"]
    for name, (spec, service) in _o2c_containers(compose, code).items():
        assert spec["build"] == {"context": ".", "target": service.name}, f"{name}: builds {spec['build']}"
        assert spec["image"].split(":")[0] == service.image
        if _is_simulator(spec) or _is_migration(spec) or name.endswith("-worker"):
            if not _is_simulator(spec):
                assert "ports" not in spec, f"{name} takes no traffic: publish no port"
            continue
        assert spec["ports"] == [f"{service.port}:{service.port}"], f"{name}: publish the settings port {service.port}"
    sim = services["portal-simulator"]
    port = int(sim["command"][sim["command"].index("--port") + 1])
    assert sim["ports"] == [f"{port}:{port}"]
    health = re.search(r"http://127\.0\.0\.1:(\d+)(/\S+?)'", " ".join(sim["healthcheck"]["test"]))
    assert health and int(health.group(1)) == port and health.group(2) in code.simulator.routes
    callback = re.fullmatch(r"http://invoicing:(\d+)(/\S+)", _env(sim)["PORTAL_SIM_CALLBACK_URL"])
    invoicing = code.services["invoicing"]
    assert callback and int(callback.group(1)) == invoicing.port and callback.group(2) in invoicing.routes
    assert _env(services["invoicing"])["INVOICING_PORTAL_BASE_URL"] == f"http://portal-simulator:{port}"
    assert _env(sim)["PORTAL_SIM_CALLBACK_SECRET"] == _env(services["invoicing"])["INVOICING_PORTAL_CALLBACK_SECRET"]


def test_env_example_lists_every_setting_and_nothing_else(compose: dict[str, Any], code: Code) -> None:
    active, documented = env_file(ROOT / ".env.example")
    listed = set(active) | documented
    for service in code.services.values():
        for field in set(service.settings_cls.model_fields) - NOT_CONFIGURABLE:
            names = {SHARED_PREFIX + field.upper(), service.prefix + field.upper()}
            assert names & listed, f".env.example does not list {service.prefix}{field.upper()} ({service.name})"
    for field in code.simulator.settings_cls.model_fields:
        assert code.simulator.prefix + field.upper() in listed
    known = set().union(*(s.env_names() for s in code.services.values()), code.simulator.env_names(), COMPOSE_VARIABLES)
    assert not listed - known, f".env.example lists what is no setting: {sorted(listed - known)}"
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", text))
    assert used <= listed, f"docker-compose.yml reads {sorted(used - listed)}, which .env.example does not explain"
    for name in COMPOSE_VARIABLES:
        assert name in used, f"{name} is listed as a compose variable but docker-compose.yml does not read it"


def test_env_example_commits_no_secret(compose: dict[str, Any]) -> None:
    active, _ = env_file(ROOT / ".env.example")
    for name, value in active.items():
        assert value == "change-me", f"{name}: .env.example holds only placeholders, found {value!r}"
    required = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*):\?", (ROOT / "docker-compose.yml").read_text()))
    assert required == set(active), "the REQUIRED block of .env.example is what compose refuses to start without"


def test_interpolation_follows_compose_rules() -> None:
    assert interpolate("a${X:-d}b", {}) == "adb"
    assert interpolate("a${X:-d}b", {"X": "v"}) == "avb"
    assert interpolate("$$1 ${X}", {"X": "v"}) == "$1 v"
    with pytest.raises(AssertionError, match="refuses"):
        interpolate("${X:?set X}", {"X": ""})


def test_migrations_run_as_the_owner_and_services_as_the_service_role(compose: dict[str, Any], code: Code) -> None:
    """Issue 13 item 12: the services cannot change the audit trail; only the owner, that migrates, could."""
    services = compose["services"]
    for service in code.services.values():
        pg = services[f"postgres-{service.name}"]
        assert any(v.endswith(":/docker-entrypoint-initdb.d/10-service-role.sh:ro") for v in pg["volumes"])
        assert pg["environment"]["POSTGRES_USER"] == "o2c"
        migrate = _env(services[f"migrate-{service.name}"])
        assert migrate[f"{service.prefix}DATABASE_MIGRATION_URL"].startswith("postgresql+asyncpg://o2c:")
        for name in (service.name, f"{service.name}-worker", f"migrate-{service.name}"):
            url = _env(services[name])[f"{service.prefix}DATABASE_URL"]
            assert url.startswith("postgresql+asyncpg://o2c_service:"), f"{name} connects as {url}"
    script = (ROOT / "deploy" / "docker" / "postgres-service-role.sh").read_text()
    assert "CREATE ROLE o2c_service LOGIN" in script and "POSTGRES_SERVICE_PASSWORD" in script
