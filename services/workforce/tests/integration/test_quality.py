"""Item 2: sampling rules pick completed work from events (more for agents on a plan or in hypercare), reviewers
score it on the process checklist with a defect taxonomy, defects create training needs, quality scores per agent,
team and vendor, first-pass portal acceptance attributed to the preparer."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from o2c_common.events.contracts.collections import PaymentApplied
from o2c_common.events.contracts.invoicing import InvoiceApproved, InvoicePortalApproved, InvoicePortalRejected
from o2c_common.events.examples import example_payload
from o2c_workforce.quality.sampling import bucket
from services.workforce.tests.conftest import AGENT_A, AGENT_B, NOW, SUPERVISOR, VIEWER, Service, problem

pytestmark = pytest.mark.integration

CHECKLIST = {
    "items": [{"code": "po_matches", "text": "PO number matches the customer's PO", "weight": 3},
              {"code": "tax_correct", "text": "Tax computed for the ship-to", "weight": 1}],
    "defects": [{"code": "wrong_po", "category": "data", "label": "Wrong or missing PO"},
                {"code": "typo", "category": "communication", "label": "Typo in a note", "severity": "minor",
                 "training": False}],
}


def approved(preparer: str, invoice_id: uuid.UUID, team: str = "vendor-a") -> InvoiceApproved:
    return InvoiceApproved(invoice_id=invoice_id, legal_entity="US01", customer_id="C1", currency="USD",
                           amount=Decimal("100.00"), prepared_by=preparer, approved_by="sue", approved_at=NOW,
                           owning_team=team)


async def setup(service: Service) -> dict[str, Any]:
    agents = await service.org()
    await service.client.put("/quality/checklists/invoice_preparation", json=CHECKLIST, headers=SUPERVISOR)
    await service.post("/sops", {"code": "SOP-BILL", "title": "Billing", "processes": ["invoice_preparation"]})
    await service.post("/sops/SOP-BILL/versions", {"effective_from": (NOW - timedelta(days=30)).date().isoformat(),
                                                   "summary": "v1"})
    return agents


async def test_rate_rule_samples_stable_items_and_boosts_agents_on_a_plan(service: Service) -> None:
    agents = await setup(service)
    await service.post("/quality/rules", {"process": "invoice_preparation", "mode": "rate", "rate_percent": "10",
                                          "boost": 10})
    await service.post("/improvement-plans", {"agent_id": agents["carl"]["id"], "starts_on": "2026-11-01",
                                              "ends_on": "2027-01-31", "goals": ["Quality 95 %"]})
    invoices = {name: [uuid.uuid4() for _ in range(20)] for name in ("ana", "carl")}
    for name, ids in invoices.items():
        for invoice_id in ids:
            await service.handle(approved(name, invoice_id))
            await service.handle(approved(name, invoice_id))  # a replayed fact samples nothing more
    samples = (await service.get("/quality/samples", limit=200))["items"]
    by_agent = {name: sorted(s["work_item_id"] for s in samples if s["agent"] == name) for name in invoices}
    expected_ana = sum(1 for i in invoices["ana"] if bucket(str(i)) < 10)
    assert len(by_agent["ana"]) == expected_ana < 20
    assert len(by_agent["carl"]) == 20  # 10 % x 10 for an agent on an improvement plan
    assert all(s["boosted"] for s in samples if s["agent"] == "carl")
    assert (await service.get("/quality/samples", headers=AGENT_B))["items"] == []
    problem(await service.client.post("/quality/rules", json={"process": "invoice_preparation", "mode": "rate",
                                                              "count": 3}, headers=SUPERVISOR), 422)


async def test_count_rule_takes_the_first_items_of_the_period(service: Service) -> None:
    await setup(service)
    await service.post("/quality/rules", {"process": "cash_application", "team": "vendor-b", "mode": "count",
                                          "count": 2, "period": "day"})
    for _ in range(5):
        await service.handle(example_payload(PaymentApplied, payment_id=uuid.uuid4(), applied_by="ben",
                                             owning_team="vendor-b", applied_at=NOW))
    await service.handle(example_payload(PaymentApplied, payment_id=uuid.uuid4(), applied_by="ben",
                                         owning_team="vendor-b", applied_at=NOW + timedelta(days=1)))
    samples = (await service.get("/quality/samples", headers=AGENT_B))["items"]
    assert len(samples) == 3 and {s["process"] for s in samples} == {"cash_application"}


async def test_a_batch_of_completions_records_each_once_and_samples_as_one_by_one(service: Service) -> None:
    await setup(service)
    await service.post("/quality/rules", {"process": "cash_application", "team": "vendor-b", "mode": "count",
                                          "count": 2, "period": "day"})
    by_ben = [example_payload(PaymentApplied, payment_id=uuid.uuid4(), applied_by="ben", owning_team="vendor-b",
                              applied_at=NOW) for _ in range(5)]
    again = by_ben[0].model_copy(update={"applied_by": "carl"})  # another application of the same payment
    by_engine = [example_payload(PaymentApplied, payment_id=uuid.uuid4(), applied_by="system:cash-app",
                                 owning_team="vendor-b", applied_at=NOW) for _ in range(3)]
    await service.handle_batch([*by_ben, again, *by_engine])
    assert await service.scalar("SELECT count(*) FROM work_items WHERE process = 'cash_application'") == 8
    assert await service.scalar("SELECT agent FROM work_items WHERE item_key = :k",
                                k=str(by_ben[0].payment_id)) == "ben"  # the first completion of an item wins
    samples = (await service.get("/quality/samples", headers=AGENT_B))["items"]
    per_agent = Counter(s["agent"] for s in samples)  # the day's count per worker, counted across the batch
    assert per_agent == {"ben": 2, "system:cash-app": 2}
    await service.handle_batch([*by_ben, again, *by_engine])  # redelivered: nothing more
    assert len((await service.get("/quality/samples", headers=AGENT_B))["items"]) == 4


async def test_review_scores_the_checklist_and_defects_create_training_needs(service: Service) -> None:
    agents = await setup(service)
    await service.post("/quality/rules", {"process": "invoice_preparation", "mode": "rate", "rate_percent": "100"})
    await service.handle(approved("ana", uuid.uuid4()))
    [sample] = (await service.get("/quality/samples", headers=AGENT_A))["items"]
    current = await service.client.get(f"/quality/samples/{sample['id']}", headers=SUPERVISOR)
    url = f"/quality/samples/{sample['id']}/review"
    good = {"answers": {"po_matches": False, "tax_correct": True},
            "defects": [{"code": "wrong_po", "note": "PO of another ship-to"}, {"code": "typo"}]}
    problem(await service.client.post(url, json=good, headers=SUPERVISOR), 428)
    problem(await service.client.post(url, json=good, headers={**AGENT_A, "If-Match": current.headers["ETag"]}),
            403)
    bad = problem(await service.client.post(url, json={"answers": {"po_matches": True, "extra": True},
                                                       "defects": [{"code": "nope"}]},
                                            headers={**SUPERVISOR, "If-Match": current.headers["ETag"]}), 422)
    assert [e["pointer"] for e in bad["errors"]] == ["#/answers", "#/answers/extra", "#/defects/0/code"]
    reviewed = await service.client.post(url, json=good, headers={**SUPERVISOR, "If-Match": current.headers["ETag"]})
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["score"] == "25.00" and reviewed.json()["reviewer"] == "sue"
    problem(await service.client.post(url, json=good, headers={**SUPERVISOR, "If-Match": reviewed.headers["ETag"]}),
            409)
    needs = (await service.get("/training/assignments", agent_id=agents["ana"]["id"], status="assigned"))["items"]
    assert [(n["reason"], n["defect_code"]) for n in needs] == [("sop_version", None)]  # open already: not twice
    first = needs[0]
    await service.post(f"/training/assignments/{first['id']}/completion", {})
    await service.handle(approved("ana", uuid.uuid4()))
    pending = (await service.get("/quality/samples", status="pending"))["items"]
    etag = (await service.client.get(f"/quality/samples/{pending[0]['id']}", headers=SUPERVISOR)).headers["ETag"]
    await service.client.post(f"/quality/samples/{pending[0]['id']}/review", json=good,
                              headers={**SUPERVISOR, "If-Match": etag})
    needs = (await service.get("/training/assignments", agent_id=agents["ana"]["id"], status="assigned"))["items"]
    assert [(n["reason"], n["defect_code"]) for n in needs] == [("quality_defect", "wrong_po")]  # typo trains not
    types = await service.outbox_types()
    assert types.count("quality.reviewed") == 2 and types.count("quality.sample_taken") == 2
    assert types[-2:] == ["quality.reviewed", "training.assigned"]


async def test_scores_per_agent_team_vendor_and_first_pass_attributed_to_the_preparer(service: Service) -> None:
    await setup(service)
    await service.post("/quality/rules", {"process": "invoice_preparation", "mode": "rate", "rate_percent": "100"})
    ana_ok, ana_bad, ben_ok = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await service.handle(approved("ana", ana_ok))
    await service.handle(approved("ana", ana_bad))
    await service.handle(approved("ben", ben_ok, team="vendor-b"))
    answers = {"ana": [True, False], "ben": [True]}
    for sample in (await service.get("/quality/samples"))["items"]:
        passed = answers[sample["agent"]].pop(0)
        etag = (await service.client.get(f"/quality/samples/{sample['id']}", headers=SUPERVISOR)).headers["ETag"]
        body = {"answers": {"po_matches": passed, "tax_correct": True},
                "defects": [] if passed else [{"code": "wrong_po"}]}
        assert (await service.client.post(f"/quality/samples/{sample['id']}/review", json=body,
                                          headers={**SUPERVISOR, "If-Match": etag})).status_code == 200
    by_agent = {s["key"]: s for s in await service.get("/quality/scores", level="agent")}
    assert by_agent["ana"]["score"] == "62.50" and by_agent["ana"]["score_text"] == "62.5 %"
    assert by_agent["ana"]["defects"] == {"wrong_po": 1} and by_agent["ana"]["name"] == "Ana Reyes"
    assert by_agent["ben"]["score"] == "100.00"
    vendors = {s["key"]: (s["reviewed"], s["score"]) for s in await service.get("/quality/scores", level="vendor")}
    assert vendors == {"acme": (2, "62.50"), "globex": (1, "100.00")}
    assert [s["key"] for s in await service.get("/quality/scores", level="team", headers=AGENT_B)] == ["vendor-b"]

    def verdict(invoice_id: uuid.UUID, ok: bool) -> Any:
        common = {"invoice_id": invoice_id, "attempt": 1, "owning_team": "vendor-a"}
        if ok:
            return example_payload(InvoicePortalApproved, first_pass=True, **common)
        return example_payload(InvoicePortalRejected, reason="missing_po", rejection_count=1, **common)

    await service.handle(verdict(ana_ok, True))
    await service.handle(verdict(ana_bad, False))
    await service.handle(verdict(ben_ok, False))
    first = {f["key"]: f for f in await service.get("/quality/first-pass", level="agent")}
    assert (first["ana"]["submitted"], first["ana"]["accepted"], first["ana"]["rate_text"]) == (2, 1, "50 %")
    assert first["ana"]["rejection_reasons"] == {"missing_po": 1}
    assert first["ben"]["rate"] == "0.00"
    assert [f["key"] for f in await service.get("/quality/first-pass", level="vendor", headers=AGENT_A)] == ["acme"]
    # a viewer reads performance, not records about individual agents: by team or vendor only
    for path in ("/quality/scores", "/quality/first-pass", "/productivity", "/scorecards"):
        refused = problem(await service.client.get(path, headers=VIEWER), 403)
        assert refused["type"].endswith("agent-records-denied") and "level=team" in refused["detail"], path
    assert {s["key"] for s in await service.get("/quality/scores", level="team", headers=VIEWER)} == {
        "vendor-a", "vendor-b"}


async def test_a_team_in_hypercare_is_sampled_at_the_window_boost(service: Service) -> None:
    await setup(service)
    await service.post("/quality/rules", {"process": "invoice_preparation", "mode": "rate", "rate_percent": "10",
                                          "boost": 2})
    await service.post("/hypercare", {"team": "vendor-b", "starts_on": "2026-11-01", "ends_on": "2026-12-31",
                                      "sampling_boost": 10})
    invoices = {name: [uuid.uuid4() for _ in range(20)] for name in ("ana", "ben")}
    for name, ids in invoices.items():
        for invoice_id in ids:
            await service.handle(approved(name, invoice_id, team="vendor-a" if name == "ana" else "vendor-b"))
    samples = (await service.get("/quality/samples", limit=200))["items"]
    assert len([s for s in samples if s["agent"] == "ben"]) == 20  # 10 % x 10 in hypercare
    assert all(s["boosted"] for s in samples if s["agent"] == "ben")
    assert len([s for s in samples if s["agent"] == "ana"]) == sum(1 for i in invoices["ana"] if bucket(str(i)) < 10)
