"""Issue 13 item 13, the deployment half: Kafka is reached only over TLS with SASL SCRAM-SHA-512, each service as
its own user whose ACLs are exactly what the code needs (kafka_acls.py derives them from the event registry and the
services' consumers): it writes its own topic, reads only what it consumes. Checked on both kustomize overlays and
on docker-compose.yml."""

from __future__ import annotations

from typing import Any

import pytest

from .kafka_acls import OPERATOR, Acl, expected_acls, operator_acls
from .support import OVERLAYS, Code, Rendered, container_env, secret_placeholder, settings_from_env


def _granted(user: dict[str, Any]) -> set[Acl]:
    granted: set[Acl] = set()
    for rule in user["spec"]["authorization"]["acls"]:
        assert rule.get("type", "allow") == "allow" and rule.get("host", "*") == "*"
        res = rule["resource"]
        granted |= {(res["type"], res["name"], res.get("patternType", "literal"), op) for op in rule["operations"]}
    return granted


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_only_listener_is_tls_with_scram_and_acls_are_enforced(rendered: dict[str, Rendered], overlay: str) -> None:
    (kafka,) = rendered[overlay].of_kind("Kafka")
    spec = kafka["spec"]["kafka"]
    assert [(x["tls"], x.get("authentication", {}).get("type")) for x in spec["listeners"]] == [
        (True, "scram-sha-512")], "every listener TLS with SCRAM-SHA-512: no plaintext, no anonymous client"
    assert spec["authorization"] == {"type": "simple"}, "ACLs enforced, and no super user"
    assert "allow.everyone.if.no.acl.found" not in spec["config"]
    assert "userOperator" in kafka["spec"]["entityOperator"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_has_a_user_whose_acls_match_the_registry(
        rendered: dict[str, Rendered], code: Code, overlay: str) -> None:
    r = rendered[overlay]
    users = {u["metadata"]["name"]: u for u in r.of_kind("KafkaUser")}
    assert set(users) == {*code.services, OPERATOR}, f"{overlay}: one KafkaUser per service and the operators'"
    assert _granted(users.pop(OPERATOR)) == operator_acls()
    for name, user in users.items():
        assert user["metadata"]["labels"]["strimzi.io/cluster"] == "o2c"
        assert user["spec"]["authentication"] == {"type": "scram-sha-512"}
        granted, wanted = _granted(user), expected_acls(name)
        assert granted == wanted, (f"{overlay} {name}: more than it needs {sorted(granted - wanted)}, "
                                   f"missing {sorted(wanted - granted)}")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_worker_logs_in_as_its_own_user_over_tls(rendered: dict[str, Rendered], code: Code, overlay: str) -> None:
    r = rendered[overlay]
    (kafka,) = r.of_kind("Kafka")
    (listener,) = kafka["spec"]["kafka"]["listeners"]
    for service in code.services.values():
        deployment = r.get("Deployment", f"{service.name}-worker")
        pod = deployment["spec"]["template"]["spec"]
        (container,) = [c for c in pod["containers"] if c["name"] == service.name]
        env, _ = container_env(r, container)
        settings = settings_from_env(service, env)
        assert settings.kafka_bootstrap_servers == f"o2c-kafka-bootstrap:{listener['port']}"
        assert (settings.kafka_security_protocol, settings.kafka_sasl_mechanism) == ("SASL_SSL", "SCRAM-SHA-512")
        assert settings.kafka_sasl_username == service.name
        assert settings.kafka_sasl_password is not None
        assert settings.kafka_sasl_password.get_secret_value() == secret_placeholder(service.name, "password")
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert settings.kafka_ssl_cafile is not None
        volume = next(v for v in pod["volumes"] if v["name"] == mounts[settings.kafka_ssl_cafile.rsplit("/", 1)[0]])
        assert volume["secret"]["secretName"] == "o2c-cluster-ca-cert"


def _listeners(value: str) -> dict[str, str]:
    return dict(item.split("://", 1) for item in value.split(","))


def test_compose_kafka_speaks_scram_over_tls_to_every_container(compose: dict[str, Any]) -> None:
    env = compose["services"]["kafka"]["environment"]
    protocols = dict(item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    for name, address in _listeners(env["KAFKA_LISTENERS"]).items():
        assert protocols[name] == "SASL_SSL" or address.startswith("localhost:"), (
            f"listener {name} ({protocols[name]}) is reachable from other containers")
    assert env["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    assert env["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("StandardAuthorizer")
    assert str(env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"]).lower() == "false"
    assert set(env["KAFKA_SUPER_USERS"].split(";")) == {"User:ANONYMOUS", "User:o2c-admin"}  # ANONYMOUS: loopback


def test_compose_acls_match_the_registry_and_workers_log_in_as_their_user(
        compose: dict[str, Any], code: Code) -> None:
    services = compose["services"]
    env = services["kafka"]["environment"]
    script = services["kafka"]["command"][0]
    for service in code.services.values():
        granted: set[Acl] = set()
        for rule in env[f"ACLS_{service.name.upper()}"].split():
            kind, name, operations = rule.split(":")
            granted |= {(kind, name, "literal", op) for op in operations.split(",")}
        assert granted == expected_acls(service.name), service.name
        assert service.name in script.split("for service in ", 1)[1].split(";", 1)[0], "its user is created"
        worker = services[f"{service.name}-worker"]
        worker_env = {**services[service.name]["environment"], **worker["environment"]}
        assert worker_env[f"{service.prefix}KAFKA_SASL_USERNAME"] == service.name
        assert worker_env[f"{service.prefix}KAFKA_SASL_PASSWORD"] == f"${{KAFKA_{service.name.upper()}_PASSWORD}}"
        assert worker_env["O2C_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert "kafka-tls:/kafka-tls:ro" in worker["volumes"]
        assert worker_env["O2C_KAFKA_SSL_CAFILE"].startswith("/kafka-tls/")
    assert "--command-config /tmp/admin.properties" in services["kafka-topics"]["command"][0]
