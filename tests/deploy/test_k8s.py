"""deploy/k8s: both overlays render with kustomize, every object validates against its schema, and the
manifests agree with the code (settings, ports, probe paths, topics) and with each other."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from .support import (
    OVERLAYS,
    Code,
    Rendered,
    ServiceCode,
    Stage,
    container_env,
    secret_placeholder,
    settings_from_env,
)
from .toolchain import ROOT, Tools

LIVE, READY = "/health/live", "/health/ready"


def _service_containers(
    r: Rendered, code: Code, *, init: bool = False
) -> list[tuple[dict[str, Any], dict[str, Any], ServiceCode]]:
    """(workload, container, service) of every container running an o2c service image (not the simulator);
    with ``init``, init containers too."""
    out = []
    for obj, pod in r.workloads():
        for container in (pod.get("initContainers", []) if init else []) + pod["containers"]:
            if "o2c_invoicing.simulator" not in " ".join(container.get("command", [])):
                out.append((obj, container, code.service_of_image(container["image"])))
    return out


def _matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, f"only matchLabels selectors are checked here: {selector}"
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_and_every_object_validates(rendered: dict[str, Rendered], overlay: str) -> None:
    r = rendered[overlay]
    assert not r.errors, "\n".join(f"{e['kind']} {e['name']}: {e['error']}" for e in r.errors)
    kinds = {o["kind"] for o in r.objects}
    for kind in ("Deployment", "Service", "ConfigMap", "HorizontalPodAutoscaler", "PodDisruptionBudget",
                 "NetworkPolicy", "Job", "Kafka", "KafkaNodePool", "KafkaTopic", "Cluster"):
        assert kind in kinds, f"{overlay}: no {kind}"
    assert not r.of_kind("Secret"), "secrets are referenced, never committed"
    namespaces = {o["metadata"].get("namespace") for o in r.objects}
    assert len(namespaces) == 1 and None not in namespaces, f"{overlay}: one namespace for all, got {namespaces}"


def test_the_validator_rejects_what_a_cluster_would(tools: Tools) -> None:
    """The schema checks above are worth something: unknown fields and wrong types fail, for built-in kinds
    and for custom resources."""
    bad = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  replicas: 1
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers: [{name: x, image: x, livenessProbe: {httpGet: {path: /health/live, port: http}, periodSecond: 5}}]
---
apiVersion: kafka.strimzi.io/v1
kind: KafkaTopic
metadata: {name: t}
spec: {partitions: six, replicas: 1}
---
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: c}
spec: {instances: 1, storage: {size: 1Gi}, bootstrap: {initdb: {databse: x}}}
---
apiVersion: example.com/v1
kind: Unknown
metadata: {name: u}
"""
    errors = {e["kind"]: e["error"] for e in tools.validate_k8s(bad)["errors"]}
    assert "periodSecond" in errors["Deployment"]
    assert "six" in errors["KafkaTopic"]
    assert "databse" in errors["Cluster"]
    assert "no schema" in errors["Unknown"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_has_probes_resources_and_a_non_root_security_context(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    r = rendered[overlay]
    for obj, pod in r.workloads():
        where = f"{overlay} {obj['kind']} {obj['metadata']['name']}"
        pod_security = pod.get("securityContext", {})
        assert pod_security.get("runAsNonRoot") is True, f"{where}: pod runAsNonRoot"
        assert pod_security.get("runAsUser", 0) != 0, f"{where}: runAsUser must not be root"
        assert pod.get("automountServiceAccountToken") is False, f"{where}: no API token needed"
        for c in pod.get("initContainers", []) + pod["containers"]:
            sc = c.get("securityContext", {})
            assert sc.get("allowPrivilegeEscalation") is False, f"{where}/{c['name']}: allowPrivilegeEscalation"
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], f"{where}/{c['name']}: drop ALL capabilities"
            assert sc.get("readOnlyRootFilesystem") is True, f"{where}/{c['name']}: read-only root filesystem"
            assert sc.get("runAsUser", pod_security.get("runAsUser")) == 10001, "the image's uid (Dockerfile USER)"
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(c.get("resources", {}).get(kind, {})), f"{where}/{c['name']}: {kind}"
            if obj["kind"] == "Deployment" and c in pod["containers"]:
                assert "livenessProbe" in c and "readinessProbe" in c, f"{where}/{c['name']}: probes"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probe_paths_ports_and_images_agree_with_the_code(
    rendered: dict[str, Rendered], code: Code, overlay: str
) -> None:
    r = rendered[overlay]
    seen = set()
    for obj, container, service in _service_containers(r, code):
        name = obj["metadata"]["name"]
        if obj["kind"] == "Job":
            assert container["command"] == ["alembic", "-c", "/app/alembic.ini", "upgrade", "heads"]
            continue
        component = obj["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]
        assert name == f"{service.name}-{component}", f"{name} runs the image of {service.name}"
        seen.add((service.name, component))
        assert "command" not in container and "args" not in container, f"{name}: the image's CMD serves the app"
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports == {"http": service.port}, f"{name}: the image listens on {service.port} (settings, CMD)"
        # liveness: the process only; readiness: database (and workers): BRIEF §2
        for probe, path in (("livenessProbe", LIVE), ("readinessProbe", READY), ("startupProbe", LIVE)):
            get = container[probe]["httpGet"]
            assert get["path"] == path and path in service.routes, f"{name}: {probe} on {get['path']}"
            assert get["port"] in ("http", service.port)
        annotations = obj["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(service.port)
        assert annotations["prometheus.io/path"] in service.routes
    assert seen == {(s, c) for s in code.services for c in ("api", "worker")}
    images = {container["image"] for _, container, _ in _service_containers(r, code)}
    for service in code.services.values():
        assert len({i for i in images if code.service_of_image(i) is service}) == 1, "one image per service"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_wait_for_their_migration(
    rendered: dict[str, Rendered], code: Code, dockerfile: dict[str, Stage], overlay: str
) -> None:
    """API and worker pods start only once the migration Job brought their database to head."""
    r = rendered[overlay]
    copied = {c.split()[-1] for c in dockerfile["runtime"].all("COPY")}
    for service in code.services.values():
        for component in ("api", "worker"):
            pod = r.get("Deployment", f"{service.name}-{component}")["spec"]["template"]["spec"]
            (init,) = pod["initContainers"]
            (main,) = pod["containers"]
            assert init["image"] == main["image"]
            python, script, variable = init["command"]
            assert python == "python" and script in copied, f"{script} is not in the image"
            assert (ROOT / "deploy" / "docker" / Path(script).name).exists()
            assert variable == f"{service.prefix}DATABASE_URL"
            init_env, _ = container_env(r, init)
            main_env, _ = container_env(r, main)
            assert init_env[variable] == main_env[variable], "it must wait on the database the app uses"
    job = r.get("Job", f"{next(iter(code.services))}-migrate")
    assert "initContainers" not in job["spec"]["template"]["spec"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_hpas_and_pdbs_select_the_right_pods(
    rendered: dict[str, Rendered], code: Code, overlay: str
) -> None:
    r = rendered[overlay]
    deployments = {d["metadata"]["name"]: d for d in r.of_kind("Deployment")}
    for service in code.services.values():
        svc = r.get("Service", service.name)
        api = deployments[f"{service.name}-api"]
        assert _matches({"matchLabels": svc["spec"]["selector"]}, api["spec"]["template"]["metadata"]["labels"])
        worker = deployments[f"{service.name}-worker"]
        assert not _matches({"matchLabels": svc["spec"]["selector"]}, worker["spec"]["template"]["metadata"]["labels"])
        (port,) = svc["spec"]["ports"]
        assert port["port"] == service.port and port["targetPort"] == "http"
        hpa = r.get("HorizontalPodAutoscaler", f"{service.name}-api")
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                                  "name": f"{service.name}-api"}
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    assert {h["spec"]["scaleTargetRef"]["name"] for h in r.of_kind("HorizontalPodAutoscaler")} == {
        f"{s}-api" for s in code.services}, "HPAs scale the APIs (workers scale with partitions: docs/deploy.md)"
    covered = set()
    for pdb in r.of_kind("PodDisruptionBudget"):
        matched = [n for n, d in deployments.items()
                   if _matches(pdb["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])]
        assert len(matched) == 1, f"{pdb['metadata']['name']} selects {matched}"
        covered |= set(matched)
    assert {f"{s}-{c}" for s in code.services for c in ("api", "worker")} <= covered


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_environment_variable_is_a_setting_and_every_required_one_is_set(
    rendered: dict[str, Rendered], code: Code, overlay: str
) -> None:
    r = rendered[overlay]
    for obj, container, service in _service_containers(r, code, init=True):
        where = f"{overlay} {obj['metadata']['name']}/{container['name']}"
        env, helpers = container_env(r, container)
        unknown = set(env) - service.env_names() - helpers
        assert not unknown, f"{where}: {sorted(unknown)} are no settings of {service.name}"
        for helper in helpers:
            assert helper not in service.env_names() or helper in env
        if obj["kind"] == "Job":  # the migration reads its database URL alone (o2c_common.settings.database_url_of)
            url = env.get(f"{service.prefix}DATABASE_URL", "")
            assert url and "127.0.0.1" not in url and "localhost" not in url, f"{where}: no database URL"
            secrets = {f"{p}{f.upper()}" for f in service.secret_fields() for p in (service.prefix, "O2C_")}
            assert not set(env) & secrets, f"{where}: a migration needs no secret but its database's"
            continue
        settings = settings_from_env(service, env)
        if container in obj["spec"]["template"]["spec"].get("initContainers", []):
            assert "database_url" in settings.model_fields_set, f"{where}: waits on the default database"
            continue
        if overlay == "prod":
            assert settings.environment == "prod"
        assert "127.0.0.1" not in settings.database_url and "localhost" not in settings.database_url
        required = {"database_url", "environment", *service.secret_fields()}
        if obj["kind"] == "Deployment":
            required |= {"run_workers", "kafka_bootstrap_servers", "kafka_create_topics"}
            assert settings.run_workers is obj["metadata"]["name"].endswith("-worker")
            assert settings.kafka_create_topics is False, "topics are KafkaTopic resources"
        missing = required - settings.model_fields_set
        assert not missing, f"{where}: {sorted(missing)} left at the code's local default"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_uses_its_own_database_and_only_it_reaches_it(
    rendered: dict[str, Rendered], code: Code, overlay: str
) -> None:
    r = rendered[overlay]
    pods = [(obj, obj["spec"]["template"]["metadata"]["labels"]) for obj, _ in r.workloads()]
    for service in code.services.values():
        cluster = r.get("Cluster", f"{service.name}-db")
        database = cluster["spec"]["bootstrap"]["initdb"]["database"]
        for obj, container, svc in _service_containers(r, code, init=True):
            if svc is not service:
                continue
            env, _ = container_env(r, container)
            url = urlsplit(env[f"{service.prefix}DATABASE_URL"])
            assert url.hostname == f"{service.name}-db-rw" and url.port == 5432, url
            assert url.path == f"/{database}"
            if obj["kind"] == "Job":  # migrates as the owner, grants the service role (DATABASE_URL's user)
                owner = urlsplit(env[f"{service.prefix}DATABASE_MIGRATION_URL"])
                assert (owner.hostname, owner.path) == (url.hostname, url.path)
                assert owner.password == secret_placeholder(f"{service.name}-db-app", "password")
                assert url.username == "o2c_service" and url.password is None
            else:  # runs as the service role: INSERT/SELECT only on the audit trail (docs/security.md)
                assert url.password == secret_placeholder(f"{service.name}-db-service", "password")
                assert url.username == secret_placeholder(f"{service.name}-db-service", "username")
        roles = cluster["spec"]["managed"]["roles"]
        assert roles == [{"name": "o2c_service", "ensure": "present", "login": True,
                          "passwordSecret": {"name": f"{service.name}-db-service"}}]
        policies = [p for p in r.of_kind("NetworkPolicy")
                    if _matches(p["spec"]["podSelector"], {"cnpg.io/cluster": f"{service.name}-db"})
                    and p["spec"]["podSelector"]]
        assert policies, f"no NetworkPolicy guards {service.name}-db"
        for policy in policies:
            for rule in policy["spec"].get("ingress", []):
                assert rule.get("from"), f"{policy['metadata']['name']}: an ingress rule without `from` admits all"
                for peer in rule["from"]:
                    if "namespaceSelector" in peer:
                        ns = peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                        assert ns in ("cnpg-system", "monitoring"), f"{service.name}-db open to namespace {ns}"
                        continue
                    for obj, labels in pods:
                        if _matches(peer["podSelector"], labels):
                            assert labels.get("app.kubernetes.io/name") == service.name, (
                                f"{obj['metadata']['name']} may reach {service.name}'s database")
        own = [labels for obj, labels in pods if labels.get("app.kubernetes.io/name") == service.name]
        assert own and all(
            any(_matches(peer["podSelector"], labels) and {"port": 5432, "protocol": "TCP"} in rule["ports"]
                for p in policies for rule in p["spec"]["ingress"] for peer in rule["from"] if "podSelector" in peer)
            for labels in own), f"{service.name}'s own pods must reach its database on 5432"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kafka_is_kraft_and_every_topic_of_the_code_has_a_kafkatopic(
    rendered: dict[str, Rendered], code: Code, overlay: str
) -> None:
    r = rendered[overlay]
    (kafka,) = r.of_kind("Kafka")
    assert kafka["apiVersion"] == "kafka.strimzi.io/v1"
    pools = r.of_kind("KafkaNodePool")
    assert all(p["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"] for p in pools)
    roles = {role for p in pools for role in p["spec"]["roles"]}
    assert roles == {"controller", "broker"}, "KRaft: the node pools hold the controllers too"
    brokers = sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"])
    config = kafka["spec"]["kafka"]["config"]
    for key in ("default.replication.factor", "offsets.topic.replication.factor",
                "transaction.state.log.replication.factor"):
        assert 1 <= config[key] <= brokers, f"{overlay}: {key}={config[key]} with {brokers} broker(s)"
    assert config["auto.create.topics.enable"] is False
    (listener,) = kafka["spec"]["kafka"]["listeners"]  # TLS with SCRAM only: test_kafka_security.py
    bootstrap = f"{kafka['metadata']['name']}-kafka-bootstrap:{listener['port']}"
    topics = {t["spec"].get("topicName", t["metadata"]["name"]): t for t in r.of_kind("KafkaTopic")}
    assert code.topics <= set(topics), f"{overlay}: no KafkaTopic for {sorted(code.topics - set(topics))}"
    for name, topic in topics.items():
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
        spec = topic["spec"]
        assert spec["partitions"] >= 1 and 1 <= spec["replicas"] <= brokers, f"{overlay} {name}: {spec}"
        assert 1 <= spec["config"]["min.insync.replicas"] <= spec["replicas"]
        assert "retention.ms" in spec["config"], f"{name}: say how long it is kept"
    for obj, container, _ in _service_containers(r, code):
        env, _ = container_env(r, container)
        if obj["kind"] == "Deployment":
            assert env["O2C_KAFKA_BOOTSTRAP_SERVERS"] == bootstrap


def test_overlays_differ_where_they_should(rendered: dict[str, Rendered]) -> None:
    dev, prod = rendered["dev"], rendered["prod"]
    assert sum(p["spec"]["replicas"] for p in dev.of_kind("KafkaNodePool")) == 1
    assert all(c["spec"]["instances"] == 1 for c in dev.of_kind("Cluster"))
    assert all(c["spec"]["instances"] >= 3 for c in prod.of_kind("Cluster"))
    assert dev.get("Deployment", "portal-simulator") and not [
        d for d in prod.of_kind("Deployment") if d["metadata"]["name"] == "portal-simulator"]
    for d in prod.of_kind("Deployment"):
        image = d["spec"]["template"]["spec"]["containers"][0]["image"]
        assert re.search(r":[\w.-]+$", image) and not image.endswith((":latest", ":dev")), f"prod pins {image}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_secret_referenced_is_generated_or_documented(rendered: dict[str, Rendered], overlay: str) -> None:
    """No Secret is committed; each one referenced is CloudNativePG's (<cluster>-app) or in docs/deploy.md."""
    r = rendered[overlay]
    clusters = {c["metadata"]["name"] for c in r.of_kind("Cluster")}
    docs = (ROOT / "docs" / "deploy.md").read_text()
    referenced = {item["valueFrom"]["secretKeyRef"]["name"]
                  for _, pod in r.workloads() for c in pod["containers"] for item in c.get("env", [])
                  if "secretKeyRef" in item.get("valueFrom", {})}
    assert referenced
    for secret in referenced:
        if secret.endswith("-app") and secret.removesuffix("-app") in clusters:
            continue
        assert f"`{secret}`" in docs, f"docs/deploy.md does not say how to create the Secret {secret}"


def test_dev_wires_invoicing_and_the_portal_simulator_both_ways(rendered: dict[str, Rendered], code: Code) -> None:
    r = rendered["dev"]
    invoicing = code.services["invoicing"]
    sim = r.get("Deployment", "portal-simulator")["spec"]["template"]["spec"]["containers"][0]
    assert code.service_of_image(sim["image"]) is invoicing
    port = int(sim["command"][sim["command"].index("--port") + 1])
    assert sim["command"][:3] == ["uvicorn", code.simulator.app_factory, "--factory"]
    assert {p["name"]: p["containerPort"] for p in sim["ports"]} == {"http": port}
    for probe in ("livenessProbe", "readinessProbe"):
        assert sim[probe]["httpGet"]["path"] in code.simulator.routes
    sim_env, _ = container_env(r, sim)
    assert set(sim_env) <= code.simulator.env_names()
    callback = urlsplit(sim_env["PORTAL_SIM_CALLBACK_URL"])
    assert callback.hostname == r.get("Service", "invoicing")["metadata"]["name"]
    assert callback.port == invoicing.port and callback.path in invoicing.routes
    (svc_port,) = r.get("Service", "portal-simulator")["spec"]["ports"]
    for component in ("api", "worker"):
        container = r.get("Deployment", f"invoicing-{component}")["spec"]["template"]["spec"]["containers"][0]
        env, _ = container_env(r, container)
        assert env["INVOICING_PORTAL_BASE_URL"] == f"http://portal-simulator:{svc_port['port']}"
        assert env["INVOICING_PORTAL_CALLBACK_SECRET"] == sim_env["PORTAL_SIM_CALLBACK_SECRET"], "one shared key"
    assert svc_port["port"] == port
