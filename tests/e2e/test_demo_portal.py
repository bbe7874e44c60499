"""`o2c dev --demo` with the portal simulator: demo customers with portal profiles have their invoices
submitted, and the simulator's signed callbacks move them on (approved or rejected with a reason)."""

from __future__ import annotations

import io
import time

from rich.console import Console

from o2c_cli.demo import PORTAL_PROFILES, load_demo
from o2c_cli.localstack import free_port
from o2c_cli.stack import Stack

from .conftest import client

DECIDED = {"portal_approved", "portal_rejected", "scheduled_for_payment", "paid_by_customer"}


def test_demo_submissions_flow_through_the_portal_simulator(stack: Stack) -> None:
    stack.config.simulator_port = free_port()
    stack.start_simulator()
    try:
        out = io.StringIO()
        load_demo(console=Console(file=out, width=200), invoices=10, seed=4242, simulator_url=stack.simulator_url,
                  invoicing_url=f"http://127.0.0.1:{stack.config.ports['invoicing']}",
                  escalation_url=f"http://127.0.0.1:{stack.config.ports['escalation']}",
                  collections_url=f"http://127.0.0.1:{stack.config.ports['collections']}")
        assert "submitted to the portal simulator" in out.getvalue() and "failed" not in out.getvalue()
        invoicing = client(stack, "invoicing")
        mine: dict[str, str] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            listed = []
            for customer in PORTAL_PROFILES:
                listed += invoicing.get("/invoices", params={"customer_id": customer, "limit": 200}).json()["items"]
            mine = {i["id"]: i["status"] for i in listed if i["attempts"] > 0}
            if mine and set(mine.values()) <= DECIDED:
                break
            time.sleep(0.5)
        assert mine and set(mine.values()) <= DECIDED, mine
        some = next(iter(mine))
        history = invoicing.get(f"/invoices/{some}/history").json()
        assert any(h["actor"].startswith("portal:") and h["portal_status_code"] for h in history)
    finally:
        process = stack.processes.pop("portal-simulator")
        process.terminate()
        process.wait(20)
        stack.config.simulator_port = None
