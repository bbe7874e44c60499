"""The SLA definitions API: seeded defaults, validation (problem+json, nothing written), If-Match, roles,
vendor agents confined to their team, audit."""

from __future__ import annotations

from typing import Any

import pytest

from services.kpi.tests.sla.conftest import ADMIN, AGENT_A, AGENT_B, SUPERVISOR, VIEWER, Service, problem

pytestmark = pytest.mark.integration

RATE = {"id": "fpa-team-a", "name": "First pass vendor-a", "metric": "first_pass_acceptance_rate",
        "scope_type": "team", "scope_value": "vendor-a", "target": "97.5", "comparator": "ge", "unit": "percent",
        "window": "month", "min_sample": 10, "severity": "P2"}
TIMER = {"id": "resubmit-4h", "name": "Resubmit within 4 hours", "metric": "time_to_resubmit",
         "scope_type": "customer", "target": "4", "comparator": "le", "unit": "hours", "window": "item",
         "severity": "P1"}


async def counts(service: Service) -> tuple[int, int]:
    return (await service.scalar("SELECT count(*) FROM sla_definitions"),
            await service.scalar("SELECT count(*) FROM audit_log"))


async def test_defaults_are_seeded_and_paged(service: Service) -> None:
    first = await service.client.get("/sla-definitions?limit=4", headers=VIEWER)
    assert first.status_code == 200, first.text
    second = await service.client.get(f"/sla-definitions?limit=4&cursor={first.json()['next_cursor']}",
                                      headers=VIEWER)
    items = first.json()["items"] + second.json()["items"]
    ids = [d["id"] for d in items]
    assert ids == sorted(ids) and second.json()["next_cursor"] is None
    assert {"first-pass-acceptance-weekly", "portal-rejection-resubmitted-1bd", "dispute-resolved-10bd",
            "escalation-resolved-within-sla-monthly"} <= set(ids)
    fpa = next(d for d in items if d["id"] == "first-pass-acceptance-weekly")
    assert (fpa["target"], fpa["comparator"], fpa["window"], fpa["scope_type"]) == ("95", "ge", "week", "team")


async def test_create_read_update_delete_with_if_match_and_audit(service: Service) -> None:
    created = await service.client.post("/sla-definitions", json=RATE, headers=SUPERVISOR)
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == "/sla-definitions/fpa-team-a"
    etag = created.headers["ETag"]
    assert created.json()["target"] == "97.5" and created.json()["version"] == 1

    again = await service.client.post("/sla-definitions", json=RATE, headers=SUPERVISOR)
    assert problem(again, 409)["type"].endswith("sla-definition-exists")

    changed = {k: v for k, v in RATE.items() if k != "id"} | {"target": "96", "active": False}
    assert problem(await service.client.put("/sla-definitions/fpa-team-a", json=changed, headers=SUPERVISOR),
                   428)
    stale = await service.client.put("/sla-definitions/fpa-team-a", json=changed,
                                     headers={**SUPERVISOR, "If-Match": '"fpa-team-a:0"'})
    assert problem(stale, 412)
    updated = await service.client.put("/sla-definitions/fpa-team-a", json=changed,
                                       headers={**SUPERVISOR, "If-Match": etag})
    assert updated.status_code == 200, updated.text
    assert (updated.json()["target"], updated.json()["active"], updated.json()["version"]) == ("96", False, 2)
    read = await service.client.get("/sla-definitions/fpa-team-a", headers=VIEWER)
    assert read.headers["ETag"] == updated.headers["ETag"] != etag

    reused = await service.client.delete("/sla-definitions/fpa-team-a", headers={**ADMIN, "If-Match": etag})
    assert problem(reused, 412)
    deleted = await service.client.delete("/sla-definitions/fpa-team-a",
                                          headers={**ADMIN, "If-Match": updated.headers["ETag"]})
    assert deleted.status_code == 204
    assert problem(await service.client.get("/sla-definitions/fpa-team-a", headers=VIEWER), 404)
    audit = await service.rows("SELECT action, actor FROM audit_log WHERE entity_id = 'fpa-team-a' ORDER BY id")
    assert [tuple(a) for a in audit] == [("sla_definition.created", "sue"), ("sla_definition.updated", "sue"),
                                         ("sla_definition.deleted", "ada")]


async def test_create_is_idempotent_with_a_key(service: Service) -> None:
    headers = {**SUPERVISOR, "Idempotency-Key": "sla-create-1"}
    first = await service.client.post("/sla-definitions", json=TIMER, headers=headers)
    replay = await service.client.post("/sla-definitions", json=TIMER, headers=headers)
    assert first.status_code == replay.status_code == 201
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.json() == first.json()
    other = await service.client.post("/sla-definitions", json={**TIMER, "target": "5"}, headers=headers)
    assert problem(other, 422)


@pytest.mark.parametrize(("change", "pointer"), [
    ({"metric": "dso_standard"}, "/metric"),
    ({"target": 97.5}, "/target"),  # a float, not a decimal string
    ({"target": "120"}, None),  # percent above 100
    ({"window": "item"}, None),  # rate metric needs a calendar window
    ({"unit": "hours"}, None),
    ({"scope_type": "global"}, None),  # global with a scope_value
    ({"comparator": "approximately"}, "/comparator"),
    ({"severity": "P9"}, "/severity"),
    ({"id": "Not A Slug"}, "/id"),
    ({"min_sample": 0}, "/min_sample"),
    ({"colour": "red"}, "/colour"),
])
async def test_bad_definitions_are_refused_and_write_nothing(service: Service, change: dict[str, Any],
                                                             pointer: str | None) -> None:
    before = await counts(service)
    response = await service.client.post("/sla-definitions", json={**RATE, **change}, headers=SUPERVISOR)
    body = problem(response, 422)
    if pointer is not None:
        assert pointer in {e.get("pointer", "").removeprefix("#") for e in body["errors"]}, body
    assert await counts(service) == before


@pytest.mark.parametrize("change", [{"target": "2.5", "unit": "business_days"}, {"window": "week"},
                                    {"comparator": "ge"}, {"target": "0"}])
async def test_bad_timer_definitions_are_refused(service: Service, change: dict[str, Any]) -> None:
    before = await counts(service)
    assert problem(await service.client.post("/sla-definitions", json={**TIMER, **change}, headers=SUPERVISOR), 422)
    assert await counts(service) == before


async def test_roles_and_teams(service: Service) -> None:
    assert problem(await service.client.get("/sla-definitions"), 401)
    assert problem(await service.client.get("/sla/breaches"), 401)
    assert problem(await service.client.get("/sla/attainment?team=vendor-a&period=2026-11"), 401)
    for headers in (VIEWER, AGENT_A):
        assert problem(await service.client.post("/sla-definitions", json=RATE, headers=headers), 403)
    assert (await service.client.post("/sla-definitions", json=RATE, headers=SUPERVISOR)).status_code == 201
    b_only = {**RATE, "id": "fpa-team-b", "scope_value": "vendor-b"}
    assert (await service.client.post("/sla-definitions", json=b_only, headers=ADMIN)).status_code == 201

    seen_by_a = {d["id"] for d in (await service.client.get("/sla-definitions?limit=200", headers=AGENT_A)
                                   ).json()["items"]}
    assert "fpa-team-a" in seen_by_a and "fpa-team-b" not in seen_by_a
    assert "first-pass-acceptance-weekly" in seen_by_a  # each team's SLA applies to vendor-a too
    assert problem(await service.client.get("/sla-definitions/fpa-team-b", headers=AGENT_A), 404)
    assert (await service.client.get("/sla-definitions/fpa-team-b", headers=AGENT_B)).status_code == 200

    assert problem(await service.client.get("/sla/breaches?team=vendor-b", headers=AGENT_A), 403)
    assert (await service.client.get("/sla/breaches", headers=AGENT_A)).status_code == 200
    assert problem(await service.client.get("/sla/attainment?team=vendor-b&period=2026-11", headers=AGENT_A), 403)
    assert (await service.client.get("/sla/attainment?team=vendor-a&period=2026-W47", headers=AGENT_A)
            ).status_code == 200
    bad = problem(await service.client.get("/sla/attainment?team=vendor-a&period=November", headers=SUPERVISOR),
                  422)
    assert bad["errors"][0]["parameter"] == "period"
    assert problem(await service.client.get("/sla/breaches?cursor=garbage", headers=SUPERVISOR), 422)


async def test_every_sla_and_report_endpoint_needs_a_token(service: Service) -> None:
    spec = service.app.openapi()
    calls = [(method, path.replace("{definition_id}", "fpa").replace("{kind}", "qbr"))
             for path, operations in spec["paths"].items() if path.startswith(("/sla", "/reports"))
             for method in operations]
    assert len(calls) >= 9
    for method, path in calls:
        response = await service.client.request(method.upper(), path, json={} if method in ("post", "put") else None)
        problem(response, 401)
