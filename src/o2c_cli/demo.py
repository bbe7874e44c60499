"""Demo data for `o2c dev --demo`: a few customers' invoices and escalation cases, created over the APIs, the vendor
teams who work them (workforce: vendors, teams, agents, an SOP whose training is due), and the ECB's euro reference
rates (demo_data/eurofxref-daily.xml) so the reviews can consolidate in a reporting currency."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import Progress

from o2c_common.auth import mint_token
from o2c_common.settings import DEV_JWT_SECRET

# Under `o2c dev --demo` these customers bill through the portal simulator, so their invoices are submitted.
PORTAL_PROFILES: dict[str, dict[str, Any]] = {
    "CUST-1001": {"name": "Acme Corp", "legal_entity": "US01", "currency": "USD", "channel": "coupa",
                  "portal_account": "acme-coupa-7781", "tax_id": "US-12-3456789", "owning_team": "vendor-a",
                  "rules": {"po_required": True, "po_pattern": r"PO-\d+"}},
    "CUST-2001": {"name": "Beispiel GmbH", "legal_entity": "DE01", "currency": "EUR", "channel": "peppol",
                  "peppol_participant_id": "0088:4000001000005", "tax_id": "DE123456789", "owning_team": "vendor-b"},
}
CUSTOMERS = [("CUST-1001", "US01", "USD", "vendor-a"), ("CUST-1002", "US01", "USD", "vendor-a"),
             ("CUST-2001", "DE01", "EUR", "vendor-b"), ("CUST-3001", "GB01", "GBP", None)]
# The account master (collections' POST /accounts/import): collectors, teams, languages, dunning contacts, a group.
ACCOUNTS_CSV = """\
customer_id,name,parent_customer_id,collector,owning_team,language,credit_limit,credit_currency,dunning_contacts
CUST-1001,Acme Corp,,carl,vendor-a,en,250000,USD,Accounts payable <ap@acme.example>
CUST-1002,Acme West,CUST-1001,carl,vendor-a,en,50000,USD,Acme West AP <ap@acme-west.example>
CUST-2001,Beispiel GmbH,,dora,vendor-b,de,100000,EUR,Buchhaltung <buchhaltung@beispiel.example>
CUST-3001,Brit Ltd,,ivan,,en,40000,GBP,
"""
# Workforce: the two vendor teams named as owning teams above, their agents (carl and dora are the collectors of the
# account master) and one SOP; created in this order (a team names its vendor, an agent its team).
VENDORS = [{"code": "acme-bpo", "name": "Acme BPO Services"},
           {"code": "northwind-bpo", "name": "Northwind Outsourcing"}]
TEAMS = [{"code": "vendor-a", "name": "Acme Manila billing and cash", "vendor_code": "acme-bpo",
          "time_zone": "Asia/Manila"},
         {"code": "vendor-b", "name": "Northwind Krakow collections", "vendor_code": "northwind-bpo",
          "time_zone": "Europe/Warsaw"}]
AGENTS = [
    {"subject": "maria.santos", "name": "Maria Santos", "team": "vendor-a",
     "skills": ["invoice_preparation", "invoice_submission"], "languages": ["en", "es"], "regions": ["NA"]},
    {"subject": "carl", "name": "Carl Reyes", "team": "vendor-a", "role": "senior_agent",
     "skills": ["cash_application", "dispute_resolution"], "languages": ["en"], "regions": ["NA"]},
    {"subject": "ana.lim", "name": "Ana Lim", "team": "vendor-a", "role": "team_lead",
     "skills": ["case_handling", "invoice_submission"], "languages": ["en", "tl"], "regions": ["NA", "APAC"]},
    {"subject": "dora", "name": "Dora Nowak", "team": "vendor-b",
     "skills": ["cash_application", "dispute_resolution"], "languages": ["de", "pl", "en"], "regions": ["EMEA"]},
    {"subject": "piotr.zielinski", "name": "Piotr Zielinski", "team": "vendor-b", "role": "quality_reviewer",
     "skills": ["case_handling", "cash_application"], "languages": ["pl", "en"], "regions": ["EMEA"]},
]
SOP = {"code": "SOP-BILL-01", "title": "Invoice preparation and portal submission",
       "processes": ["invoice_preparation", "invoice_submission"]}
# The ECB's euro foreign exchange reference rates of 28 June 2024 (its daily XML file as published): in force for
# every later day until newer rates are imported (`o2c kpi fx import eurofxref-daily.xml`).
DEMO_RATES = Path(__file__).parent / "demo_data" / "eurofxref-daily.xml"


def load_demo(*, console: Console, invoicing_url: str = "http://127.0.0.1:8001",
              escalation_url: str = "http://127.0.0.1:8004", collections_url: str = "http://127.0.0.1:8002",
              invoices: int = 24, seed: int = 7, simulator_url: str | None = None,
              kpi_url: str | None = None, workforce_url: str | None = None) -> DemoReport:
    """With ``simulator_url``, some customers get portal profiles pointing at it and their invoices are
    submitted once issued; with ``kpi_url``, the demo FX rates are imported into kpi; with ``workforce_url``, the
    vendor teams. Safe to run again (idempotency keys; what exists is left as it is): the report says what this run
    added."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    token = mint_token(secret=DEV_JWT_SECRET, subject="demo-loader", roles=["admin"], ttl=timedelta(minutes=10),
                       issuer="o2c", audience="o2c")
    approver = mint_token(secret=DEV_JWT_SECRET, subject="demo-approver", roles=["billing_approver"],
                          ttl=timedelta(minutes=10), issuer="o2c", audience="o2c")
    headers = {"Authorization": f"Bearer {token}"}
    second = mint_token(secret=DEV_JWT_SECRET, subject="demo-approver-2", roles=["billing_approver"],
                        ttl=timedelta(minutes=10), issuer="o2c", audience="o2c")
    approvers = [{"Authorization": f"Bearer {approver}"}, {"Authorization": f"Bearer {second}"}]
    today = datetime.now(UTC).date()
    report = DemoReport()
    with httpx.Client(base_url=collections_url, headers=headers, timeout=10) as collections:
        summary = collections.post("/accounts/import", content=ACCOUNTS_CSV,
                                   headers={"Content-Type": "text/csv"}).raise_for_status().json()
        report.accounts_created = int(summary.get("created", 0))
    with httpx.Client(base_url=invoicing_url, headers=headers, timeout=10) as invoicing, \
            Progress(console=console, transient=True) as progress:
        if simulator_url:
            for customer_id, profile in PORTAL_PROFILES.items():
                if invoicing.get(f"/billing-profiles/{customer_id}").status_code == 404:
                    invoicing.put(f"/billing-profiles/{customer_id}",
                                  json={**profile, "portal_url": simulator_url}).raise_for_status()
        task = progress.add_task("demo invoices", total=invoices)
        for n in range(invoices):
            customer, entity, currency, team = rng.choice(CUSTOMERS)
            body = {
                "legal_entity": entity, "customer_id": customer, "currency": currency, "owning_team": team,
                "issue_date": (today - timedelta(days=rng.randint(0, 90))).isoformat(),
                "payment_terms_days": rng.choice([30, 45, 60]), "po_number": f"PO-{4000 + n}",
                "lines": [{"description": f"Service package {k + 1}", "quantity": str(rng.randint(1, 5)),
                           "unit_price": f"{rng.randint(50, 5000)}.{rng.randint(0, 99):02d}", "tax_rate": "0.20"}
                          for k in range(rng.randint(1, 3))],
            }
            created = invoicing.post("/invoices", json=body, headers={"Idempotency-Key": f"demo-invoice-{seed}-{n}"})
            created.raise_for_status()
            report.invoices_created += created.headers.get("Idempotent-Replayed") != "true"
            path = f"/invoices/{created.json()['id']}"
            current = invoicing.get(path).raise_for_status()  # a replayed create may be issued already
            if current.json()["status"] == "draft":  # maker-checker: the loader prepares, others approve
                etag = _step(invoicing, path, "request-approval", etag=current.headers["ETag"])
                for approver_headers in approvers:  # large invoices need a second, different approver
                    approved = invoicing.post(f"{path}/approve", headers={"If-Match": etag, **approver_headers})
                    etag = approved.raise_for_status().headers["ETag"]
                    if approved.json()["status"] == "approved":
                        break
                etag = _step(invoicing, path, "issue", etag=etag)
                report.invoices_issued += 1
                if simulator_url and customer in PORTAL_PROFILES:
                    answer = _submit(invoicing, path, etag=etag)
                    report.submitted += answer.status_code == 200
                    if answer.status_code != 200:
                        console.print(f"[yellow]submitting {path} failed: {answer.text[:200]}")
            progress.advance(task)
    with httpx.Client(base_url=escalation_url, headers=headers, timeout=10) as escalation:
        case = escalation.post("/cases", headers={"Idempotency-Key": f"demo-case-{seed}-1"}, json={
            "title": "Invoice rejected twice by the customer's portal", "description": "PO mismatch on lines 2-3",
            "requester_function": "sales", "category": "portal", "severity": "P2", "customer_id": "CUST-1001",
            "owning_team": "vendor-a"}).raise_for_status()
        report.cases_opened += case.headers.get("Idempotent-Replayed") != "true"
    if workforce_url:
        with httpx.Client(base_url=workforce_url, headers=headers, timeout=10) as workforce:
            report.workforce_added = load_demo_workforce(workforce, today=today)
    if kpi_url:
        with httpx.Client(base_url=kpi_url, headers=headers, timeout=30) as kpi:
            report.rates_loaded = load_demo_rates(kpi)
    console.print(f"[green]✓[/] {report.describe(portal=simulator_url is not None)}")
    return report


@dataclass
class DemoReport:
    """What one run of the demo loader added (a second run adds nothing and says so)."""

    accounts_created: int = 0
    invoices_created: int = 0
    invoices_issued: int = 0
    submitted: int = 0
    cases_opened: int = 0
    rates_loaded: int = 0
    workforce_added: int = 0

    def describe(self, *, portal: bool) -> str:
        if not (self.accounts_created or self.invoices_created or self.invoices_issued or self.cases_opened
                or self.rates_loaded or self.workforce_added):
            return "demo data already loaded: nothing added"
        sent = f", {self.submitted} submitted to the portal simulator" if portal else ""
        return (f"demo data added: {self.accounts_created} accounts, {self.invoices_created} invoices created, "
                f"{self.invoices_issued} issued{sent}, {self.cases_opened} escalation case(s) opened"
                + (f", {self.workforce_added} vendors, teams, agents and SOPs" if self.workforce_added else "")
                + (f", {self.rates_loaded} FX reference rates" if self.rates_loaded else ""))


def load_demo_workforce(workforce: httpx.Client, *, today: date) -> int:
    """Vendors, teams, agents and an SOP (with a version in force, so its training is due); what exists already (409)
    is left alone. Returns how many were created."""
    created = 0
    for path, bodies in (("/vendors", VENDORS), ("/teams", TEAMS),
                         ("/agents", [{**a, "start_date": (today - timedelta(days=180)).isoformat()} for a in AGENTS]),
                         ("/sops", [SOP])):
        for body in bodies:
            answer = workforce.post(path, json=body)
            if answer.status_code == 409:
                continue
            answer.raise_for_status()
            created += 1
            if path == "/sops":  # new: its first version, in force since three weeks, training due in 14 days
                workforce.post(f"/sops/{body['code']}/versions", json={
                    "effective_from": (today - timedelta(days=21)).isoformat(), "training_due_days": 14,
                    "summary": "PO number checked against the customer's portal rules before submission"},
                ).raise_for_status()
    return created


def load_demo_rates(kpi: httpx.Client) -> int:
    """Import the demo's ECB rates file into kpi (``POST /fx/rates/ecb``); how many rates were new."""
    response = kpi.post("/fx/rates/ecb", params={"filename": DEMO_RATES.name}, content=DEMO_RATES.read_bytes(),
                        headers={"Content-Type": "application/octet-stream"})
    return int(response.raise_for_status().json()["inserted"])


def _step(client: httpx.Client, path: str, action: str, *, etag: str) -> str:
    return client.post(f"{path}/{action}", headers={"If-Match": etag}).raise_for_status().headers["ETag"]


def _submit(client: httpx.Client, path: str, *, etag: str, attempts: int = 3) -> httpx.Response:
    """Submit the issued invoice. Right after issue, collections' ledger entry is mirrored onto the invoice (its
    settlement figures, a new ETag): a 412 then means only that; read the invoice again and, while it is still
    issued, submit with its new ETag."""
    answer = client.post(f"{path}/submit", headers={"If-Match": etag})
    for _ in range(attempts - 1):
        if answer.status_code != 412:
            break
        current = client.get(path).raise_for_status()
        if current.json()["status"] != "issued":
            break
        answer = client.post(f"{path}/submit", headers={"If-Match": current.headers["ETag"]})
    return answer
