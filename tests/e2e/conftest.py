from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from o2c_cli.localstack import TansuBroker, free_port
from o2c_cli.services import SERVICES
from o2c_cli.stack import Stack, StackConfig
from o2c_cli.testing import Infra
from o2c_common.auth import mint_token
from o2c_common.settings import DEV_JWT_SECRET


@pytest.fixture(scope="session")
def stack(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The four services running as separate processes against the session's PostgreSQL and a broker of their own:
    the other tests' services publish to the session's broker, and a whole-stack check (the reconciliation) must
    see only what this stack did."""
    data_dir = tmp_path_factory.mktemp("stack")
    broker = TansuBroker(port=free_port(), log_path=data_dir / "tansu.log")
    broker.start()
    config = StackConfig(
        data_dir=data_dir, external_pg_url=infra.pg_url,
        external_kafka=broker.bootstrap_servers, ports={name: free_port() for name in SERVICES}, mail_port=free_port(),
        extra_env={"O2C_OUTBOX_POLL_INTERVAL_S": "0.5", "O2C_LOG_LEVEL": "INFO",
                   # the reconciliation runs when a test asks (POST /reconciliation/runs); a drift is reported 3 s on
                   "KPI_RECON_INTERVAL_S": "3600", "KPI_RECON_GRACE_S": "3"},
    )
    stack = Stack(config)
    try:
        stack.start_mail()  # every message the services send, kept in <data_dir>/mail
        stack.start_services(timeout=90)
        yield stack
    finally:
        stack.stop()
        broker.stop()
        for name in SERVICES:
            log = config.data_dir / "logs" / f"{name}.log"
            if log.exists():
                print(f"--- {name} log (tail) ---\n" + "\n".join(log.read_text().splitlines()[-30:]))


def token(*, subject: str = "e2e-user", roles: tuple[str, ...] = ("admin",), team: str | None = None) -> str:
    return mint_token(secret=DEV_JWT_SECRET, subject=subject, roles=list(roles), team=team,
                      ttl=timedelta(minutes=30), issuer="o2c", audience="o2c")


def client(stack: Stack, service: str, **token_args: object) -> httpx.Client:
    port = stack.config.ports[service]
    return httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10,
                        headers={"Authorization": f"Bearer {token(**token_args)}"})  # type: ignore[arg-type]


def pages(http: httpx.Client, path: str) -> dict[str, dict[str, Any]]:
    """Every row of a keyset page list (`after`/`next_after`) by invoice id."""
    rows: dict[str, dict[str, Any]] = {}
    after: str | None = None
    while True:
        response = http.get(path, params={"limit": 1000, **({"after": after} if after else {})})
        assert response.status_code == 200, f"GET {path}: {response.text}"
        body = response.json()
        rows.update({item["invoice_id"]: item for item in body["items"]})
        after = body["next_after"]
        if after is None:
            return rows


def drift(stack: Stack, invoice_ids: Iterable[str]) -> dict[str, tuple[Any, ...]]:
    """The invoices among ``invoice_ids`` whose open amount or last ledger entry differ between invoicing's
    settlement, collections' ledger and kpi's AR (missing in one counts): empty when the three agree."""
    figures = [pages(client(stack, "invoicing"), "/settlements"),
               pages(client(stack, "collections"), "/receivables/open-amounts"),
               pages(client(stack, "kpi"), "/ar/open-amounts")]
    amount_keys, entry_keys = ("ledger_open_amount", "open_amount", "open_amount"), ("ledger_sequence", "entries",
                                                                                       "entries")
    found: dict[str, tuple[Any, ...]] = {}
    for invoice_id in invoice_ids:
        rows = [f.get(invoice_id) for f in figures]
        seen = tuple((Decimal(r[a]), r[e]) if r else None for r, a, e in zip(rows, amount_keys, entry_keys,
                                                                            strict=True))
        if None in seen or len(set(seen)) > 1:
            found[invoice_id] = seen
    return found


def drift_once_caught_up(stack: Stack, invoice_ids: Iterable[str], timeout: float = 60) -> dict[str, tuple[Any, ...]]:
    """:func:`drift` once it is empty, or as it stands after ``timeout`` seconds (the consumers catching up)."""
    ids = list(invoice_ids)
    deadline, drifting = time.monotonic() + timeout, drift(stack, ids)
    while drifting and time.monotonic() < deadline:
        time.sleep(0.5)
        drifting = drift(stack, ids)
    return drifting
