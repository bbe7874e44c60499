"""deploy/monitoring: the scrape config finds what compose and the manifests run, and every metric, label and
topic the alert rules and the dashboard use is one the code exports."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from o2c_common.events import REGISTRY, TOPICS
from o2c_common.events.contracts.kpi import SlaBreached
from o2c_common.observability import Metrics
from o2c_kpi.reconciliation.metrics import ReconciliationGauges

from .support import Code
from .toolchain import ROOT, Tools

MONITORING = ROOT / "deploy" / "monitoring"
PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "rate", "irate", "increase", "deriv", "delta", "histogram_quantile",
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset",
    "abs", "clamp_min", "clamp_max", "time", "vector", "scalar", "topk", "bottomk", "label_replace",
    "avg_over_time", "max_over_time", "min_over_time", "sum_over_time", "absent", "humanizePercentage",
    "humanizeDuration",
}
# labels Prometheus itself or the scrape config (relabel_configs, static labels) put on every series
TARGET_LABELS = {"job", "instance", "service", "component", "namespace", "pod"}


def _exported() -> tuple[set[str], set[str]]:
    """(sample names, label names) of everything o2c_common.observability.Metrics and kpi's reconciliation gauges
    export, plus `up`."""
    metrics = Metrics(service="probe")
    metrics.consumer_lag.labels(topic="t", partition="0", group="g").set(0)
    metrics.observe_http(method="GET", route="/", status=200, duration_s=0.1)
    metrics.dead_letters_total.labels(group="g").inc()
    metrics.events_published_total.labels(topic="t", type="o2c.t.v1").inc()
    metrics.events_consumed_total.labels(topic="t", group="g").inc()
    ReconciliationGauges(metrics.registry).drift_amount.labels(currency="USD").set(0)  # kpi's reconciliation
    names, labels = {"up"}, set()
    for family in metrics.registry.collect():
        for sample in family.samples:
            names.add(sample.name)
            labels |= set(sample.labels)
    return names, labels


def _metric_names(expr: str) -> set[str]:
    text = re.sub(r'"[^"]*"', "", expr)  # strings
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges
    text = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", text)  # grouping labels
    words = set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", text))
    return {w for w in words if w not in PROMQL_WORDS and not re.fullmatch(r"\d+[smhd]?", w)}


def _grouping_labels(expr: str) -> set[str]:
    return {label.strip() for group in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr)
            for label in group.split(",") if label.strip()}


def _matchers(expr: str) -> list[tuple[str, str, str]]:
    return [(m[0], m[1], m[2]) for block in re.findall(r"\{([^}]*)\}", expr)
            for m in re.findall(r'(\w+)\s*(=~|!=|!~|=)\s*"([^"]*)"', block)]


def _check_expr(expr: str, code: Code, where: str) -> None:
    names, labels = _exported()
    unknown = _metric_names(expr) - names
    assert not unknown, f"{where}: {sorted(unknown)} is not exported by o2c_common.observability.metrics"
    grouping = _grouping_labels(expr) - labels - TARGET_LABELS
    assert not grouping, f"{where}: no series carries the label(s) {sorted(grouping)}"
    for label, op, value in _matchers(expr):
        assert label in labels | TARGET_LABELS, f"{where}: unknown label {label}"
        if label == "topic" and op == "=":
            assert value in TOPICS.values(), f"{where}: topic {value} is not in the event registry"
        if label == "type" and op == "=":
            assert value in REGISTRY, f"{where}: event type {value} is not in the event registry"
        if label == "service" and op == "=":
            assert value in code.services, f"{where}: no service {value}"


def test_metric_name_extraction_sees_through_promql() -> None:
    expr = 'sum by (service, le) (rate(http_request_duration_seconds_bucket{status=~"5.."}[5m])) / up > 0.05'
    assert _metric_names(expr) == {"http_request_duration_seconds_bucket", "up"}
    assert _grouping_labels(expr) == {"service", "le"}
    assert _matchers(expr) == [("status", "=~", "5..")]


@pytest.fixture(scope="module")
def prometheus(tools: Tools) -> dict[str, Any]:
    return tools.load_yaml(MONITORING / "prometheus.yml")[0]


@pytest.fixture(scope="module")
def rules(tools: Tools) -> list[dict[str, Any]]:
    groups = tools.load_yaml(MONITORING / "alerts.yml")[0]["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_alert_rules_cover_what_the_issue_asks_with_real_metrics(rules: list[dict[str, Any]], code: Code) -> None:
    for rule in rules:
        assert {"alert", "expr", "labels", "annotations"} <= set(rule), rule
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert rule["annotations"]["summary"]
        _check_expr(rule["expr"], code, rule["alert"])
    used = {name for rule in rules for name in _metric_names(rule["expr"])}
    for metric in ("consumer_lag", "outbox_oldest_age_seconds", "dead_letters_total", "http_requests_total"):
        assert metric in used, f"no alert on {metric}"
    assert any('status=~"5.."' in r["expr"] and "http_requests_total" in r["expr"] for r in rules), "error rate"
    assert any(f'type="{SlaBreached.ce_type()}"' in r["expr"] for r in rules), "SLA breach rate (sla.breached)"
    assert any("dead_letters_total" in r["expr"] and re.search(r">\s*0\b", r["expr"]) for r in rules), "DLQ > 0"


def test_scrape_config_finds_the_compose_containers_and_the_pods(
    prometheus: dict[str, Any], compose: dict[str, Any], code: Code
) -> None:
    assert "alerts.yml" in prometheus["rule_files"]
    jobs = {j["job_name"]: j for j in prometheus["scrape_configs"]}
    k8s = jobs["o2c-kubernetes"]
    kept = {tuple(r["source_labels"]) for r in k8s["relabel_configs"] if r.get("action") == "keep"}
    assert ("__meta_kubernetes_pod_annotation_prometheus_io_scrape",) in kept
    assert {r.get("target_label") for r in k8s["relabel_configs"]} >= {"service", "component", "__address__",
                                                                         "__metrics_path__"}
    static = jobs["o2c-compose"]
    targets = {}
    for group in static["static_configs"]:
        for target in group["targets"]:
            targets[target] = group["labels"]
    expected = set()
    for service in code.services.values():
        for name, component in ((service.name, "api"), (f"{service.name}-worker", "worker")):
            expected.add(f"{name}:{service.port}")
            assert compose["services"][name]["image"].split(":")[0] == service.image
            assert targets.get(f"{name}:{service.port}") == {"service": service.name, "component": component}
    assert set(targets) == expected
    assert static.get("metrics_path", "/metrics") in next(iter(code.services.values())).routes


def test_dashboard_uses_exported_metrics_and_real_kpi_endpoints(code: Code) -> None:
    from o2c_kpi.main import create_app

    dashboard = json.loads((MONITORING / "grafana" / "o2c-overview.json").read_text())
    assert dashboard["uid"] and dashboard["title"] and dashboard["panels"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    openapi = create_app().openapi()
    kinds = set()
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            continue
        for target in panel["targets"]:
            kind = target["datasource"]["type"]
            kinds.add(kind)
            if kind == "prometheus":
                _check_expr(target["expr"], code, panel["title"])
            else:
                assert kind == "yesoreyeram-infinity-datasource"
                path = target["url"]
                assert path in code.services["kpi"].routes, f"{panel['title']}: kpi serves no {path}"
                schema = openapi["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
                fields = _resolve(openapi, schema)["properties"]
                rows = _resolve(openapi, fields[target["root_selector"]]["items"])["properties"]
                for column in target["columns"]:
                    assert column["selector"] in rows, f"{panel['title']}: {column['selector']} not in {sorted(rows)}"
    assert kinds == {"prometheus", "yesoreyeram-infinity-datasource"}
    titles = " ".join(p["title"].lower() for p in dashboard["panels"])
    for topic in ("consumer lag", "outbox", "dead letters", "open ar", "5xx"):
        assert topic in titles, f"the dashboard has no panel on {topic}"


def _resolve(openapi: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema
