"""Issue 13 item 13, the deployment half: Kafka is reached only over TLS with SASL SCRAM-SHA-512, each service as
its own user whose ACLs are exactly what the code needs (kafka_acls.py derives them from the event registry and the
services' consumers): it writes its own topic, reads only what it consumes. Checked on both kustomize overlays and
on docker-compose.yml."""

from __future__ import annotations

from typing import Any

import pytest

from .kafka_acls import Acl, expected_acls
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
    assert set(users) == set(code.services), f"{overlay}: one KafkaUser per service, no other"
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
