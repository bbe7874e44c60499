"""`o2c dev --demo` loads its data through the public APIs of the running services."""

from __future__ import annotations

import io

from rich.console import Console

from o2c_cli.demo import AGENTS, CUSTOMERS, PORTAL_PROFILES, TEAMS, VENDORS, load_demo
from o2c_cli.stack import Stack

from .conftest import client


def test_demo_data_is_issued_through_maker_checker_and_reaches_collections(stack: Stack) -> None:
    ports = stack.config.ports
    out = io.StringIO()
    first = load_demo(console=Console(file=out, width=200), invoicing_url=f"http://127.0.0.1:{ports['invoicing']}",
                      escalation_url=f"http://127.0.0.1:{ports['escalation']}",
                      collections_url=f"http://127.0.0.1:{ports['collections']}", invoices=6, seed=99,
                      workforce_url=f"http://127.0.0.1:{ports['workforce']}")
    assert (first.invoices_created, first.invoices_issued, first.cases_opened) == (6, 6, 1)
    assert first.workforce_added == len(VENDORS) + len(TEAMS) + len(AGENTS) + 1
    workforce = client(stack, "workforce")
    agents = workforce.get("/agents", params={"team": "vendor-a", "limit": 50}).json()["items"]
    assert {"maria.santos", "carl", "ana.lim"} <= {a["subject"] for a in agents}
    assert {t["code"] for t in workforce.get("/teams").json()} >= {"vendor-a", "vendor-b"}
    assert "6 invoices created, 6 issued" in out.getvalue()
    account = client(stack, "collections").get("/accounts/CUST-1002").json()  # the account master, a group
    assert (account["collector"], account["owning_team"], account["parent_customer_id"]) == ("carl", "vendor-a",
                                                                                          "CUST-1001")
    demo = demo_invoices(stack)
    assert len(demo) >= 6
    # the demo-portal test may have submitted the portal customers' invoices already; the others stay issued
    assert all(i["status"] == "issued" for i in demo if i["customer_id"] not in PORTAL_PROFILES)
    assert all(i["issue_date"] is not None for i in demo)
    again = io.StringIO()
    second = load_demo(console=Console(file=again, width=200),
                       invoicing_url=f"http://127.0.0.1:{ports['invoicing']}",
                       escalation_url=f"http://127.0.0.1:{ports['escalation']}",
                       collections_url=f"http://127.0.0.1:{ports['collections']}", invoices=6, seed=99,
                       workforce_url=f"http://127.0.0.1:{ports['workforce']}")
    assert len(demo_invoices(stack)) == len(demo)  # idempotency keys: nothing twice
    assert (second.accounts_created, second.invoices_created, second.invoices_issued, second.cases_opened,
            second.workforce_added) == (0, 0, 0, 0, 0)
    assert "demo data already loaded: nothing added" in again.getvalue()  # and it says so


def demo_invoices(stack: Stack) -> list[dict[str, object]]:
    """The demo's invoices (PO-400…) of the demo customers, whatever other tests put in the shared stack."""
    invoicing = client(stack, "invoicing")
    found = []
    for customer_id, *_ in CUSTOMERS:
        items = invoicing.get("/invoices", params={"customer_id": customer_id, "limit": 200}).json()["items"]
        found += [i for i in items if str(i.get("po_number") or "").startswith("PO-400")]
    return found
