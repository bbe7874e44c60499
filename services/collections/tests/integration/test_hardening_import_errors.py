"""Issue 13 item 15: the database's error text never reaches a client. A payment import line the database refuses
is an error of the job with a readable detail, not PostgreSQL's message (table, column, constraint, SQL)."""

from __future__ import annotations

import structlog

from services.collections.tests.conftest import IMPORTER, Service
from services.collections.tests.integration.test_imports import csv_file, upload


async def test_a_refused_line_shows_no_database_text(service: Service) -> None:
    too_long = "X" * 70  # longer than the ledger keeps a payer id: the database refuses this line
    final = await upload(service, "csv", csv_file(1, extra=(f"BAD-1,2026-02-03,USD,1.00,{too_long},,",)))
    assert (final["booked"], final["errors"]) == (1, 1)
    assert final["error_details"] == [{"line": 2, "detail": "the line could not be stored: a value is too long, "
                                                            "out of range or not allowed"}]
    shown = (await service.client.get(f"/payment-imports/{final['id']}", headers=IMPORTER)).text.lower()
    for leak in ("varchar", "character varying", "sqlalchemy", "asyncpg", "insert into", "value too long"):
        assert leak not in shown, leak


async def test_lines_failing_alike_log_one_traceback_and_a_count(service: Service) -> None:
    too_long = "X" * 70
    bad = tuple(f"BAD-{n},2026-02-03,USD,1.00,{too_long},," for n in range(3))
    with structlog.testing.capture_logs() as logs:
        final = await upload(service, "csv", csv_file(1, extra=bad))
    assert (final["booked"], final["errors"]) == (1, 3)
    assert [e["line"] for e in final["error_details"]] == [2, 3, 4]
    traced = [e for e in logs if e["event"] == "payment_import_line_failed"]
    assert len(traced) == 1 and traced[0]["line"] == 2 and traced[0]["exc_info"] is not None
    [summary] = [e for e in logs if e["event"] == "payment_import_lines_failed"]
    [(kind, count)] = summary["failures"].items()
    assert count == 3 and "value too long" in kind, kind  # the log keeps the database's text; the job does not
