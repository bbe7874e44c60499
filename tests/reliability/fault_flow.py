"""The steady flow of the fault-injection test: invoices through maker-checker and payments, over HTTP, every
write retried with the same Idempotency-Key through the faults, and a record of what each service accepted."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx

from o2c_cli.stack import Stack
from o2c_common.auth.tokens import mint_token
from o2c_common.settings import DEV_JWT_SECRET

RETRY_FOR_S = 180.0
RETRIED_STATUSES = {409, 500, 502, 503, 504}  # 409: the same key still running after a crash (it is retried)


def client(stack: Stack, service: str, subject: str, *roles: str) -> httpx.Client:
    jwt = mint_token(secret=DEV_JWT_SECRET, subject=subject, roles=list(roles), ttl=timedelta(hours=1),
                     issuer="o2c", audience="o2c")
    return httpx.Client(base_url=f"http://127.0.0.1:{stack.config.ports[service]}", timeout=15,
                        headers={"Authorization": f"Bearer {jwt}"})


@dataclass
class Accepted:
    invoices: dict[str, Decimal] = field(default_factory=dict)  # issued invoice id -> total
    paid: set[str] = field(default_factory=set)
    transport_errors: int = 0
    retried_answers: int = 0
    failures: list[str] = field(default_factory=list)


class Flow:
    """Runs in a thread until stopped: create, request approval, approve, issue; pay every second invoice."""

    def __init__(self, stack: Stack, *, customer: str) -> None:
        self.customer = customer
        self.preparer = client(stack, "invoicing", "fi-preparer", "billing_specialist")
        self.approver = client(stack, "invoicing", "fi-approver", "billing_approver")
        self.collector = client(stack, "collections", "fi-collector", "collector")
        self.accepted = Accepted()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="fault-flow", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> Accepted:
        self.stopping.set()
        self.thread.join(RETRY_FOR_S * 2)
        return self.accepted

    def _run(self) -> None:
        n = 0
        while not self.stopping.is_set():
            try:
                self._one(n)
            except Exception as exc:  # recorded: the test fails on it
                self.accepted.failures.append(f"flow {n}: {type(exc).__name__}: {exc}")
                return
            n += 1

    def _one(self, n: int) -> None:
        key = f"{self.customer}-{n}"
        total = Decimal(100 + n)
        body = {"legal_entity": "US01", "customer_id": self.customer, "currency": "USD", "payment_terms_days": 30,
                "lines": [{"description": f"Flow {n}", "quantity": "1", "unit_price": f"{total}.00",
                           "tax_rate": "0.00"}]}
        created = self._write(self.preparer, "/invoices", key, json=body, expect=201)
        invoice_id = created.json()["id"]
        for actor, action in ((self.preparer, "request-approval"), (self.approver, "approve"),
                              (self.preparer, "issue")):
            self._transition(actor, invoice_id, action, key)
        invoice = self._read(self.preparer, f"/invoices/{invoice_id}").json()
        self.accepted.invoices[invoice_id] = total
        if n % 2 == 0:
            self._read(self.collector, f"/receivables/{invoice_id}")  # the ledger has it (events flow)
            self._write(self.collector, "/payments", f"{key}-pay", expect=201, json={
                "legal_entity": "US01", "customer_id": self.customer, "currency": "USD", "amount": f"{total}.00",
                "value_date": "2026-12-01", "bank_reference": f"FI-{key}",
                "remittance": [{"reference": invoice["number"], "amount": f"{total}.00"}]})
            self.accepted.paid.add(invoice_id)

    def _transition(self, actor: httpx.Client, invoice_id: str, action: str, key: str) -> None:
        before = self._read(actor, f"/invoices/{invoice_id}").json()["status"]

        def attempt() -> httpx.Response | None:
            current = self._read(actor, f"/invoices/{invoice_id}")
            if current.json()["status"] != before:  # a write whose answer was lost with its process: applied
                return None
            return actor.post(f"/invoices/{invoice_id}/{action}",
                              headers={"If-Match": current.headers["ETag"], "Idempotency-Key": f"{key}-{action}"})

        self._retry(attempt, expect=200, what=f"{action} {invoice_id}")

    def _write(self, actor: httpx.Client, path: str, key: str, *, expect: int, json: Any) -> httpx.Response:
        answer = self._retry(lambda: actor.post(path, json=json, headers={"Idempotency-Key": key}), expect=expect,
                             what=f"POST {path} {key}")
        assert answer is not None
        return answer

    def _read(self, actor: httpx.Client, path: str) -> httpx.Response:
        answer = self._retry(lambda: actor.get(path), expect=200, what=f"GET {path}", retry_404=True)
        assert answer is not None
        return answer

    def _retry(self, call: Callable[[], httpx.Response | None], *, expect: int, what: str,
               retry_404: bool = False) -> httpx.Response | None:
        deadline = time.monotonic() + RETRY_FOR_S
        last = ""
        while time.monotonic() < deadline:
            try:
                answer = call()
            except httpx.TransportError as exc:
                self.accepted.transport_errors += 1
                last = f"{type(exc).__name__}: {exc}"
            else:
                if answer is None or answer.status_code == expect:
                    return answer
                if answer.status_code not in RETRIED_STATUSES and not (retry_404 and answer.status_code == 404) \
                        and answer.status_code != 412:
                    raise AssertionError(f"{what}: {answer.status_code} {answer.text[:300]}")
                self.accepted.retried_answers += 1
                last = f"{answer.status_code} {answer.text[:200]}"
            time.sleep(0.5)
        raise AssertionError(f"{what}: no answer in {RETRY_FOR_S:g}s (last: {last})")

