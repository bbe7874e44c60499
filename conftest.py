"""Fixtures for every test in the workspace: real PostgreSQL and the real Kafka-protocol broker."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from o2c_cli.localstack import LOCAL_SESSION_TIMEOUT_MS, TansuBroker, free_port
from o2c_cli.testing import Infra, opened, start_test_infra
from o2c_common.db import Database

# bench/ and tools/ live at the repository root (``python -m bench``, ``python tools/…``), outside the installed
# packages; their tests import them from here.
ROOT = str(Path(__file__).resolve().parent)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    # Not under pytest's temp root: each pytest session that starts on the machine sets that root back to mode 0700,
    # and the embedded PostgreSQL, run as its own user when the tests run as root, then loses its data directory
    # ("could not open pg_control: Permission denied") and every test of the running session fails.
    base = Path(tempfile.mkdtemp(prefix="o2c-test-infra-"))
    try:
        yield from start_test_infra(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest_asyncio.fixture(loop_scope="session")
async def pg_db(infra: Infra) -> AsyncIterator[Database]:
    """A fresh, empty database with the plumbing tables (outbox, inbox, idempotency_keys, audit_log)."""
    async with opened(infra, infra.fresh_database()) as db:
        yield db


@pytest.fixture
def own_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TansuBroker]:
    """A broker of the test's own (memory storage), for tests that stop or restart it."""
    broker = TansuBroker(port=free_port(), log_path=tmp_path_factory.mktemp("broker") / "tansu.log")
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


def pytest_configure(config: pytest.Config) -> None:
    # The services the tests start in-process consume from the local broker: its group joins take half the session
    # timeout (o2c_cli.localstack.LOCAL_SESSION_TIMEOUT_MS), as under `o2c dev`.
    os.environ.setdefault("O2C_CONSUMER_SESSION_TIMEOUT_MS", str(LOCAL_SESSION_TIMEOUT_MS))


# The files that take longest (a stack of their own, schemathesis, the e2e stack) are handed out first, so the two
# workers of `make test` (`--dist loadfile --no-loadscope-reorder`) end on short files instead of one waiting for the
# other's long one. Prefixes of the node ids, longest-running first; the other files keep their collection order.
FIRST = ("tests/api/test_schemathesis.py", "tests/reliability/test_fault_injection.py",
         "tests/e2e/test_realistic_month.py", "tests/e2e/", "tests/reliability/", "tests/deploy/", "tests/security/")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        return next((i for i, prefix in enumerate(FIRST) if item.nodeid.startswith(prefix)), len(FIRST))

    items.sort(key=rank)
