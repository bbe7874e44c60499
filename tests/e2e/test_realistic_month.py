"""A realistic month against the four running services: accounts imported by CSV, about 200 invoices over four
currencies, two entities and three teams, a camt.053 statement with full, partial, combined, over- and short
payments (a 3.15 tolerance write-off, an 83.51 deduction), the deduction credited, a 1,200.00 dispute written off, a
reversal and its re-application, a customer's AP portal rejecting two invoices for a closed PO (corrected and
resubmitted) and reporting every submitted invoice paid (which settles nothing without cash), an e-mailed invoice
that fails while the SMTP server is down and goes out once it is back, a dunning run; then invoicing, collections
and kpi agree per invoice (zero drift), every credit and write-off reached every service, a poison record changes
nothing, and a broken kpi row is found, reported by `o2c reconcile` (exit 1) and becomes a case in the account's
team."""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import pytest
from typer.testing import CliRunner

from o2c_cli.mail import kept_messages
from o2c_cli.main import app as cli
from o2c_cli.stack import Stack

from .conftest import client, pages, token
from .month import (
    ACCOUNTS,
    PORTAL_CUSTOMER,
    PORTAL_PROFILE,
    Draft,
    Remitted,
    accounts_csv,
    camt053,
    entry,
    generate,
    half,
)
from .month_channels import SETTLES_NOTHING, email_leg, portal_leg, start_portal, stop_portal
from .month_faults import dead_lettered, delete_kpi_movement, produce_poison

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
T = TypeVar("T")
TOLERANCE, DEDUCTION, DISPUTED = Decimal("3.15"), Decimal("83.51"), Decimal("1200.00")


def eventually(probe: Callable[[], T | None], *, timeout: float = 120, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value is not None:
            return value
        time.sleep(0.5)
    raise AssertionError(f"{what}: not met in {timeout} s")


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


class Month:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.preparer = client(stack, "invoicing", subject="bea", roles=("billing_specialist",))
        self.approvers = [client(stack, "invoicing", subject=s, roles=("billing_approver",)) for s in ("abe", "ann")]
        self.invoicing = client(stack, "invoicing", subject="sue", roles=("ar_supervisor",))
        self.collections = client(stack, "collections", subject="sue", roles=("ar_supervisor",))
        # the controller approves write-offs above a supervisor's limit (1,000)
        self.second = client(stack, "collections", subject="fiona", roles=("admin",))
        self.collector = client(stack, "collections", subject="carl", roles=("collector",))
        self.bank_feed = client(stack, "collections", subject="bank-feed", roles=("bank_file_importer",))
        self.kpi = client(stack, "kpi", subject="sue", roles=("ar_supervisor",))
        self.escalation = client(stack, "escalation", subject="sue", roles=("ar_supervisor",))
        for http in (self.preparer, *self.approvers, self.invoicing, self.collections, self.kpi):
            http.timeout = httpx.Timeout(60)

    def issue(self, draft: Draft) -> None:
        created = ok(self.preparer.post("/invoices", json=draft.body(), headers={"Idempotency-Key": draft.key}), 201)
        path, draft.id = f"/invoices/{created['id']}", created["id"]
        etag = self._step(self.preparer, path, "request-approval", self.preparer.get(path).headers["ETag"])
        override = {"override_portal_rules": True, "override_reason": "PO confirmed by phone, follows"}
        for approver in self.approvers:  # a large amount in its currency needs a second, different approver
            approved = approver.post(f"{path}/approve", headers={"If-Match": etag},
                                     json=override if draft.override else None)
            if approved.status_code == 422 and not draft.po:  # the portal's rules, checked before a number is taken
                draft.refused = approved.json()
                return
            etag = approved.headers["ETag"]
            if ok(approved)["status"] == "approved":
                break
        issued = self.preparer.post(f"{path}/issue", headers={"If-Match": etag})
        if issued.status_code == 422 and draft.override:  # checked again at issue: the approver overrides
            issued = self.approvers[0].post(f"{path}/issue", headers={"If-Match": etag}, json=override)
        body = ok(issued)
        draft.id, draft.number, draft.total = body["id"], body["number"], Decimal(body["total_amount"])

    @staticmethod
    def _step(http: httpx.Client, path: str, action: str, etag: str) -> str:
        response = http.post(f"{path}/{action}", headers={"If-Match": etag})
        ok(response)
        return response.headers["ETag"]

    def ledger(self, invoice_id: str) -> list[dict[str, Any]]:
        return list(ok(self.collections.get(f"/receivables/{invoice_id}/ledger")))

    def reconcile(self) -> dict[str, Any]:
        return dict(ok(self.kpi.post("/reconciliation/runs")))

    def agreed(self, *, timeout: float = 150) -> dict[str, Any]:
        """Reconcile until no invoice drifts (the consumers catch up); never a fixed sleep."""
        def quiet() -> dict[str, Any] | None:
            run = self.reconcile()
            return run if run["drifting"] == 0 else None
        try:
            return eventually(quiet, timeout=timeout, what="zero drift")
        except AssertionError as exc:  # say which invoices drift and how, not only that some do
            drifts = ok(self.kpi.get("/reconciliation/drifts"))
            raise AssertionError(f"{exc}; drifting: {json.dumps(drifts, default=str)[:4000]}") from exc


def test_a_realistic_month_ends_with_zero_drift(stack: Stack) -> None:
    month = generate()
    closed_pos = start_portal(stack, month.drafts)  # the portal customer's AP portal, played by the simulator
    try:
        _month(stack, month, closed_pos)
    finally:
        stop_portal(stack)


def _month(stack: Stack, month: Any, closed_pos: list[str]) -> None:
    m = Month(stack)
    imported = ok(m.collections.post("/accounts/import", content=accounts_csv(),
                                     headers={"Content-Type": "text/csv"}))
    assert imported["rows"] == len(ACCOUNTS)

    ok(m.invoicing.put(f"/billing-profiles/{PORTAL_CUSTOMER}",  # its portal wants a PO
                       json={**PORTAL_PROFILE, "portal_url": stack.simulator_url}), 201)
    with ThreadPoolExecutor(max_workers=4) as pool:  # four billing specialists at work
        list(pool.map(m.issue, month.drafts))
    refused = [d for d in month.drafts if d.refused]
    overridden = [d for d in month.drafts if d.override]
    assert len(refused) == 10 and len(overridden) == 5 and all(d.number for d in overridden)
    assert all([v["rule"] for v in d.refused["violations"]] == ["po_required"] for d in refused)  # type: ignore[index]
    waiting = ok(m.invoicing.get("/work-queues/awaiting_approval", params={"limit": 200}))["items"]
    waiting_reasons = {w["id"]: w["reason"] for w in waiting}
    assert all(waiting_reasons[d.id].startswith("portal rules refused the approval: po_required") for d in refused)
    read = ok(m.invoicing.get(f"/invoices/{overridden[0].id}"))
    assert read["portal_rules_overridden"] == ["po_required"]  # the override is on the invoice (and audited)
    month.drafts = [d for d in month.drafts if not d.refused]  # they wait for a PO: never issued, no receivable
    by_number = {d.number: d for d in month.drafts}
    usd = [d for d in month.drafts if d.account.currency == "USD" and d.account.legal_entity == "US01"]
    others = [d for d in month.drafts if d not in usd]
    eventually(lambda: len(pages(m.collections, "/receivables/open-amounts")) >= len(month.drafts) or None,
               what="every invoice in the ledger")

    # --- the bank statement: full, partial, combined, over, tolerance, deduction ----------------------------
    full, partial = usd[:40], usd[40:50]
    combined = [d for d in usd[50:] if d.account.customer_id == "M-GLOBEX"][:3]  # one customer's three invoices
    rest = [d for d in usd[50:] if d not in combined]
    over, tolerance, deduction = rest[0], next(d for d in rest[1:] if d.total > 700), rest[-1]
    entries = [entry(f"F-{n}", d.total, d.account.customer_id, [Remitted(d.number, d.total)])
               for n, d in enumerate(full)]
    entries += [entry(f"P-{n}", half(d.total, "USD"), d.account.customer_id,
                      [Remitted(d.number, half(d.total, "USD"))]) for n, d in enumerate(partial)]
    entries.append(entry("C-1", sum((d.total for d in combined), Decimal(0)), combined[0].account.customer_id,
                         [Remitted(d.number, d.total) for d in combined]))
    entries.append(entry("O-1", over.total + Decimal("25.00"), over.account.customer_id,
                         [Remitted(over.number, over.total + Decimal("25.00"))]))
    entries.append(entry("T-1", tolerance.total - TOLERANCE, tolerance.account.customer_id,
                         [Remitted(tolerance.number, tolerance.total - TOLERANCE)]))
    entries.append(entry("D-1", deduction.total - DEDUCTION, deduction.account.customer_id,
                         [Remitted(deduction.number, deduction.total - DEDUCTION, adjustment=DEDUCTION)]))
    job = ok(m.bank_feed.post("/payment-imports", params={"format": "camt053", "legal_entity": "US01",
                                                           "filename": "statement-2026-10.xml"},
                              content=camt053(entries)), 202)
    eventually(lambda: ok(m.bank_feed.get(f"/payment-imports/{job['id']}"))["status"] == "completed" or None,
               what="the statement booked")
    # other currencies pay by hand-keyed payments with remittance: a third of them in full
    paid_others = others[::3]
    unpaid_others = [d for d in others if d not in paid_others]
    for n, d in enumerate(paid_others):
        ok(m.collector.post("/payments", json={
            "legal_entity": d.account.legal_entity, "customer_id": d.account.customer_id,
            "currency": d.account.currency, "amount": str(d.total), "value_date": "2026-10-29",
            "bank_reference": f"M-{n}", "remittance": [{"reference": d.number, "amount": str(d.total)}]}), 201)

    def settled(d: Draft) -> bool:
        return Decimal(m.ledger(d.id)[-1]["amount"]) < 0
    eventually(lambda: all(settled(d) for d in (*full[-3:], *combined, over, tolerance, deduction)) or None,
               what="the statement applied")
    tolerance_entries = [e for e in m.ledger(tolerance.id) if e["kind"] == "tolerance_write_off"]
    assert [Decimal(e["amount"]) for e in tolerance_entries] == [-TOLERANCE]

    # --- the deduction credited, the dispute written off with a second supervisor ---------------------------
    found = eventually(lambda: next((x for x in ok(m.collector.get("/deductions"))["items"]
                                     if x["invoice_number"] == deduction.number), None), what="the deduction")
    assert Decimal(found["amount"]) == DEDUCTION
    etag = m.collector.get(f"/deductions/{found['id']}").headers["ETag"]
    asked = ok(m.collector.post(f"/deductions/{found['id']}/resolution", json={"resolution": "credited"},
                                headers={"If-Match": etag}))
    assert asked["status"] == "credit_requested"  # an ar_supervisor other than the collector approves the credit
    etag = m.collections.get(f"/deductions/{found['id']}").headers["ETag"]
    ok(m.collections.post(f"/deductions/{found['id']}/credit-decision", json={"approve": True},
                          headers={"If-Match": etag}))
    disputed = next(d for d in rest[1:-1] if d is not tolerance and d.total > DISPUTED * 2)  # unpaid
    dispute = ok(m.collector.post("/disputes", json={"invoice_id": disputed.id, "amount": str(DISPUTED),
                                                     "reason": "quality"}), 201)
    current = m.collections.get(f"/disputes/{dispute['id']}")
    requested = ok(m.collections.post(f"/disputes/{dispute['id']}/resolution", json={
        "outcome": "written_off", "root_cause": "quality"}, headers={"If-Match": current.headers["ETag"]}))
    assert requested["status"] == "write_off_requested"  # someone else approves the write-off
    current = m.second.get(f"/disputes/{dispute['id']}")
    ok(m.second.post(f"/disputes/{dispute['id']}/write-off-decision", json={"approve": True},
                     headers={"If-Match": current.headers["ETag"]}))
    assert ok(m.collections.get(f"/disputes/{dispute['id']}"))["status"] == "resolved"

    # --- a reversal, then the cash applied again -----------------------------------------------------------
    reversed_invoice = full[0]
    applied = next(e for e in m.ledger(reversed_invoice.id) if e["kind"] == "payment")
    path = f"/payments/{applied['payment_id']}"
    reversal = m.collector.post(f"{path}/applications/{applied['application_id']}/reversal",
                                json={"reason": "applied to the wrong invoice"},
                                headers={"If-Match": m.collector.get(path).headers["ETag"]})
    ok(reversal)
    ok(m.collector.post(f"{path}/applications", json={"invoice_id": reversed_invoice.id,
                                                      "amount": str(reversed_invoice.total), "reason": "re-applied"},
                        headers={"If-Match": reversal.headers["ETag"]}), 201)

    # --- mend: a PO number amended with approval; a wrong amount credited and rebilled in one approved action -
    amended = rest[2]
    requested = ok(m.preparer.post(f"/invoices/{amended.id}/amendments", json={
        "changes": {"po_number": "PO-CORRECTED-1"}, "reason": "portal rejected: PO missing"}), 201)
    etag = m.preparer.get(f"/invoices/{amended.id}").headers["ETag"]
    ok(m.approvers[0].post(f"/invoices/{amended.id}/amendments/{requested['id']}/decision", json={"approve": True},
                           headers={"If-Match": etag}))
    assert ok(m.preparer.get(f"/invoices/{amended.id}"))["po_number"] == "PO-CORRECTED-1"
    wrong = next(d for d in unpaid_others if d.account.customer_id == "M-BEISPIEL")
    corrected = {**wrong.body(), "lines": [{"description": "Service 1", "quantity": "1", "unit_price": "99.90",
                                            "tax_rate": "0"}]}
    rebill = ok(m.preparer.post(f"/invoices/{wrong.id}/rebill", json={"corrected": corrected,
                                                                      "reason": "wrong unit price"}), 201)
    etag = m.preparer.get(f"/invoices/{wrong.id}").headers["ETag"]
    rebilled = ok(m.approvers[0].post(f"/invoices/{wrong.id}/rebill/{rebill['id']}/decision", json={"approve": True},
                                      headers={"If-Match": etag}))
    assert rebilled["status"] == "applied" and rebilled["new_invoice_id"]

    # --- the channels: portal rejections corrected and resubmitted, "paid" by the portal; SMTP down, then up ----
    portal_paid = portal_leg(m, month.drafts, closed_pos, ok=ok, eventually=eventually)
    emailed = email_leg(m, stack, unpaid_others, ok=ok, eventually=eventually)

    # --- dunning: one statement per customer and currency, the mail kept ---------------------------------
    dunning = ok(m.collections.post("/dunning/runs", params={"as_of": "2026-11-30"}))
    mine = {a.customer_id for a in ACCOUNTS}  # the shared stack holds other tests' customers too
    outcomes = {(s["customer_id"], s["currency"]): s for s in dunning["statements"] if s["customer_id"] in mine}
    assert ("M-MUSTER", "EUR") in outcomes, dunning
    assert outcomes[("M-MUSTER", "EUR")]["reason"] == "no_dunning_contact"  # the failure with its reason
    sent = {key for key, s in outcomes.items() if s["status"] == "sent"}
    assert len(sent) >= 5 and [s for s in outcomes.values() if s["status"] == "failed"] == [
        outcomes[("M-MUSTER", "EUR")]], dunning
    assert {s["level"] for s in outcomes.values()} == {1}  # the first notice is level 1, whatever the days late
    def mailbox() -> list[Any] | None:
        found = [k for k in kept_messages(stack.config.data_dir / "mail")
                 if any(f"@{c.lower()}.example" in k.recipients for c in mine)]
        return found if len(found) >= len(sent) else None
    kept = eventually(mailbox, what="the statements in the mailbox")
    recipients = " ".join(k.recipients for k in kept)
    assert all(f"ap@{customer.lower()}.example" in recipients for customer, _ in sent)
    assert len(kept) == len(sent)  # one statement per customer and currency, not one notice per invoice

    # --- zero drift, per invoice ----------------------------------------------------------------------------
    run = m.agreed()
    assert run["invoices"] >= len(month.drafts) + 1 and run["amount_by_currency"] == {}  # and the rebilled one
    invoicing = pages(m.invoicing, "/settlements")
    collections = pages(m.collections, "/receivables/open-amounts")
    kpi = pages(m.kpi, "/ar/open-amounts")
    assert set(invoicing) == set(collections) == set(kpi)  # every invoice of the stack, other tests' too
    assert {d.id for d in month.drafts} | {rebilled["new_invoice_id"]} <= set(collections)
    for invoice_id, ledger in collections.items():
        mirror, ar = invoicing[invoice_id], kpi[invoice_id]
        assert Decimal(mirror["ledger_open_amount"]) == Decimal(ledger["open_amount"]) == Decimal(ar["open_amount"])
        assert mirror["ledger_sequence"] == ledger["entries"] == ar["entries"], (mirror, ledger, ar)

    # every credit and write-off reached every service
    assert Decimal(invoicing[tolerance.id]["written_off_amount"]) == TOLERANCE
    assert invoicing[tolerance.id]["settlement_status"] == "settled"
    assert Decimal(collections[tolerance.id]["written_off_amount"]) == TOLERANCE
    assert Decimal(collections[disputed.id]["written_off_amount"]) == DISPUTED
    assert Decimal(invoicing[disputed.id]["written_off_amount"]) == DISPUTED
    credited = eventually(lambda: Decimal(invoicing[deduction.id]["credited_amount"]) or None, what="credit note")
    assert credited == DEDUCTION == Decimal(collections[deduction.id]["credited_amount"])
    assert invoicing[deduction.id]["settlement_status"] == "settled"
    assert Decimal(invoicing[over.id]["ledger_open_amount"]) == 0  # the 25.00 stays unapplied cash
    assert Decimal(invoicing[partial[0].id]["ledger_open_amount"]) == partial[0].total - half(partial[0].total, "USD")
    assert invoicing[reversed_invoice.id]["settlement_status"] == "settled"
    assert invoicing[wrong.id]["settlement_status"] == "credited" and Decimal(collections[wrong.id]["open_amount"]) == 0
    assert Decimal(collections[wrong.id]["credited_amount"]) == wrong.total
    assert Decimal(collections[rebilled["new_invoice_id"]]["open_amount"]) == Decimal("99.90")
    assert [e["kind"] for e in m.ledger(reversed_invoice.id)] == ["invoice", "payment", "reversal", "payment"]
    for d in portal_paid:  # the portal's "paid" is the customer's word: only cash settles
        assert invoicing[d.id]["status"] == "paid_by_customer"
        if d not in paid_others:
            assert invoicing[d.id]["settlement_status"] in SETTLES_NOTHING and \
                Decimal(collections[d.id]["open_amount"]) == d.total > 0
        else:
            assert invoicing[d.id]["settlement_status"] == "settled"
    assert invoicing[emailed.id]["settlement_status"] == "open"

    # kpi's AR per currency equals the ledger's balances
    today = datetime.now(UTC).date().isoformat()
    ledger_totals = {b["key"]: Decimal(b["open_amount"]) for b in
                     ok(m.collections.get("/balances", params={"as_of": today, "by": "currency"}))["items"]}
    kpi_totals = {t["currency"]: Decimal(t["amount"]) for t in ok(m.kpi.get("/kpis/open-ar"))["totals"]}
    assert {c: a for c, a in kpi_totals.items() if a} == {c: a for c, a in ledger_totals.items() if a}
    by_currency: dict[str, Decimal] = defaultdict(Decimal)
    for row in collections.values():
        by_currency[row["currency"]] += Decimal(row["open_amount"])
    assert {c: a for c, a in by_currency.items() if a} == {c: a for c, a in kpi_totals.items() if a}

    # the vendor-a agent sees its team's cash and nobody else's
    agent = client(stack, "collections", subject="vic", roles=("vendor_agent",), team="vendor-a")
    payments = ok(agent.get("/payments", params={"limit": 200}))["items"]
    assert payments and {p["owning_team"] for p in payments} == {"vendor-a"}

    # --- a poison record: an invoice number no consumer can store is dead-lettered by every group alike ----
    asyncio.run(produce_poison(stack))
    assert asyncio.run(dead_lettered(stack, ("collections", "kpi"))) == {"collections", "kpi"}
    assert m.agreed(timeout=30)["drifting"] == 0

    # --- one side broken: exactly that invoice drifts, `o2c reconcile` exits 1, a case in the account's team -
    broken = next(d for d in month.drafts if d.account.team == "vendor-a" and d.account.currency == "EUR")
    asyncio.run(delete_kpi_movement(stack, broken.id))
    drifting = m.reconcile()
    assert drifting["drifting"] == 1
    listed = ok(m.kpi.get("/reconciliation/drifts"))["items"]
    assert [d["invoice_id"] for d in listed] == [broken.id]
    result = CliRunner(env={"COLUMNS": "200", "O2C_KPI_URL": f"http://127.0.0.1:{stack.config.ports['kpi']}",
                            "O2C_TOKEN": token(subject="sue", roles=("ar_supervisor",))}).invoke(cli, ["reconcile"])
    assert result.exit_code == 1, result.output
    assert broken.number in result.output and "1 drifting" in result.output
    time.sleep(3.5)  # the grace (KPI_RECON_GRACE_S=3) before a drift is reported
    assert m.reconcile()["confirmed"] == 1
    case = eventually(lambda: next((c for c in ok(m.escalation.get("/cases", params={"limit": 200}))["items"]
                                    if broken.id in c.get("invoice_ids", [])), None), what="the drift's case")
    assert (case["category"], case["owning_team"]) == ("reconciliation", "vendor-a")
    assert case["title"].startswith(f"Invoice {broken.number}: ledger ")
    assert by_number[broken.number] is broken
