"""`o2c dev --demo` loads its data through the public APIs of the running services."""

from __future__ import annotations

import io

from rich.console import Console

from o2c_cli.demo import load_demo
from o2c_cli.stack import Stack

from .conftest import client


def test_demo_data_is_issued_through_maker_checker_and_reaches_collections(stack: Stack) -> None:
    ports = stack.config.ports
    out = io.StringIO()
    load_demo(console=Console(file=out), invoicing_url=f"http://127.0.0.1:{ports['invoicing']}",
              escalation_url=f"http://127.0.0.1:{ports['escalation']}", invoices=6, seed=99)
    assert "6 invoices issued" in out.getvalue()
    invoices = client(stack, "invoicing").get("/invoices", params={"limit": 200}).json()["items"]
    demo = [i for i in invoices if (i.get("po_number") or "").startswith("PO-400")]
    assert len(demo) >= 6 and all(i["status"] == "issued" for i in demo)
    load_demo(console=Console(file=io.StringIO()), invoicing_url=f"http://127.0.0.1:{ports['invoicing']}",
              escalation_url=f"http://127.0.0.1:{ports['escalation']}", invoices=6, seed=99)  # idempotent keys
    again = client(stack, "invoicing").get("/invoices", params={"limit": 200}).json()["items"]
    assert len([i for i in again if (i.get("po_number") or "").startswith("PO-400")]) == len(demo)
