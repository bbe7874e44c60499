"""Payment file imports as jobs. The upload is checked whole first (a malformed file is refused and nothing is
kept or booked), then its parsed lines are stored and the job answered at once (``queued``, with ``total_lines``).
A background step books the lines in chunks of ``COLLECTIONS_IMPORT_CHUNK_LINES``, one transaction per chunk that
also advances ``processed_lines``: ``GET /payment-imports/{id}`` shows the progress, a crash resumes at the first
unprocessed line, and a line that fails to book is counted in ``errors`` (with its line and reason) under a savepoint
without stopping the others. Re-uploading the same file answers its first import; a line booked before (bank
reference or fingerprint) counts as a duplicate."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy.exc import DBAPIError

from o2c_collections.cashapp.engine import Line
from o2c_collections.config import CollectionsSettings
from o2c_collections.payments import bulk, repository
from o2c_collections.payments.models import ImportStatus, PaymentImport, PaymentImportLine
from o2c_collections.payments.parsers import FileFormat, MalformedFile, ParsedPayment, parse_file
from o2c_collections.payments.schemas import ImportRead
from o2c_collections.payments.service import book
from o2c_common.auth import Principal, Role
from o2c_common.errors import DomainError, NotFound
from o2c_common.runtime import collection_paused
from o2c_common.tx import Tx

log = structlog.get_logger("o2c.collections.imports")

MAX_ERROR_DETAILS = 100


def to_payload(parsed: ParsedPayment) -> dict[str, Any]:
    return {"bank_reference": parsed.bank_reference, "value_date": parsed.value_date.isoformat(),
            "currency": parsed.currency, "amount": str(parsed.amount), "customer_id": parsed.customer_id,
            "payer_name": parsed.payer_name,
            "lines": [[li.reference, None if li.amount is None else str(li.amount), li.reason_code, li.text]
                      for li in parsed.lines]}


def from_payload(payload: dict[str, Any]) -> ParsedPayment:
    return ParsedPayment(
        bank_reference=payload["bank_reference"], value_date=datetime.fromisoformat(payload["value_date"]).date(),
        currency=payload["currency"], amount=Decimal(payload["amount"]), customer_id=payload["customer_id"],
        payer_name=payload["payer_name"],
        lines=tuple(Line(ref, None if amount is None else Decimal(amount), reason, *text)
                    for ref, amount, reason, *text in payload["lines"]))


async def start(tx: Tx, *, content: bytes, file_format: FileFormat, legal_entity: str,
                filename: str | None) -> tuple[ImportRead, bool]:
    """(the job, True) for a new file; (its first import, False) for a file seen before."""
    session = tx.session
    sha = hashlib.sha256(content).hexdigest()
    previous = await repository.import_by_hash(session, sha256=sha)
    if previous is not None:
        return ImportRead.model_validate(previous).model_copy(update={"duplicate_file": True}), False
    result = parse_file(content, file_format)  # the whole file, before anything is kept: malformed -> 422
    parsed = result.payments
    if not parsed:
        raise MalformedFile(f"the file holds no incoming payment ({len(result.skipped)} entries skipped)", where="#")
    skipped = [{"where": s.where, "reason": s.reason, "detail": s.detail, "bank_reference": s.bank_reference,
                "amount": None if s.amount is None else str(s.amount), "currency": s.currency}
               for s in result.skipped[:MAX_ERROR_DETAILS]]
    batch = PaymentImport(id=uuid.uuid4(), file_format=file_format, filename=filename, content_sha256=sha,
                          legal_entity=legal_entity, status=ImportStatus.QUEUED, total_lines=len(parsed),
                          processed_lines=0, booked=0, duplicates=0, applied=0, errors=0, error_details=[],
                          imported_by=tx.actor.subject)
    await repository.add_all(session, [batch])
    await repository.insert_import_lines(session, [{"import_id": batch.id, "position": n, "payload": to_payload(p)}
                                                   for n, p in enumerate(parsed)])
    await tx.audit("payments.import_started", entity_type="payment_import", entity_id=batch.id,
                   after={"format": file_format, "lines": len(parsed), "filename": filename,
                          "skipped_count": len(result.skipped), "skipped": skipped})
    return ImportRead.model_validate(batch), True


async def process_chunk(tx: Tx, *, settings: CollectionsSettings, import_id: uuid.UUID | None = None) -> int:
    """Books the next chunk of the oldest pending import (other replicas skip it); the lines it processed. The
    payments are booked in the name of whoever uploaded the file, as a bank-file importer (every team's)."""
    session = tx.session
    batch = await repository.claim_import(session, import_id=import_id)
    if batch is None:
        return 0
    tx = tx.acting_as(Principal(subject=batch.imported_by, roles=frozenset({Role.BANK_FILE_IMPORTER.value}),
                                kind="service"))
    lines = await repository.import_lines(session, import_id=batch.id, start=batch.processed_lines,
                                          limit=settings.import_chunk_lines)
    batch.status = ImportStatus.PROCESSING
    await session.flush()
    booked_n, duplicates, applied = await _book_lines(tx, batch, lines, settings=settings)
    batch.booked += booked_n
    batch.duplicates += duplicates
    batch.applied += applied
    batch.processed_lines += len(lines)
    if not lines or batch.processed_lines >= batch.total_lines:
        batch.status, batch.completed_at = ImportStatus.COMPLETED, tx.now()
        await repository.delete_import_lines(session, import_id=batch.id)
        await tx.audit("payments.imported", entity_type="payment_import", entity_id=batch.id,
                       after={"format": batch.file_format, "lines": batch.total_lines, "booked": batch.booked,
                              "duplicates": batch.duplicates, "errors": batch.errors})
    await session.flush()
    return max(len(lines), 1)


async def _book_lines(tx: Tx, batch: PaymentImport, lines: list[PaymentImportLine], *,
                      settings: CollectionsSettings) -> tuple[int, int, int]:
    """Books the chunk's lines in bulk (:mod:`bulk`); (booked, duplicates, auto-applied). When the chunk fails it
    books nothing of itself (its savepoint is rolled back) and its lines are booked one by one instead, so the
    failing lines are named in the job's ``errors`` and the others booked."""
    if not lines:
        return 0, 0, 0
    parsed = [from_payload(line.payload) for line in lines]
    try:
        with collection_paused():  # the chunk's rows, items and events stay alive until it writes them
            async with tx.session.begin_nested():
                outcomes = await bulk.book_chunk(tx, parsed, legal_entity=batch.legal_entity or "",
                                                 source=batch.file_format, import_id=batch.id, settings=settings)
    except Exception as exc:  # any failure: the lines one by one name the failing ones
        log.warning("payment_import_chunk_failed", import_id=str(batch.id), first_line=lines[0].position + 1,
                    last_line=lines[-1].position + 1, exc_info=exc)
        return await _book_one_by_one(tx, batch, lines, parsed, settings=settings)
    return (sum(o.status == bulk.RowStatus.CREATED for o in outcomes),
            sum(o.status == bulk.RowStatus.DUPLICATE for o in outcomes), sum(o.applied for o in outcomes))


async def _book_one_by_one(tx: Tx, batch: PaymentImport, lines: list[PaymentImportLine],
                           parsed: list[ParsedPayment], *, settings: CollectionsSettings) -> tuple[int, int, int]:
    session = tx.session
    booked_n = duplicates = applied = 0  # counted here and set once: the job's row is not updated per line
    failures: dict[str, int] = {}  # a failure's kind → lines that failed so; a traceback is logged once per kind
    for line, row in zip(lines, parsed, strict=True):
        try:
            async with session.begin_nested():
                booked = await book(tx, parsed=row, legal_entity=batch.legal_entity or "",
                                    source=batch.file_format, import_id=batch.id, settings=settings)
        except Exception as exc:
            await session.refresh(batch)
            batch.errors += 1
            if len(batch.error_details) < MAX_ERROR_DETAILS:
                batch.error_details = [*batch.error_details,
                                       {"line": line.position + 1, "detail": _line_error(exc)}]
            _log_failure(exc, batch.id, line, failures)
            continue
        booked_n += booked.payment is not None
        duplicates += booked.payment is None
        applied += booked.applied
    if any(n > 1 for n in failures.values()):
        log.warning("payment_import_lines_failed", import_id=str(batch.id), first_line=lines[0].position + 1,
                    last_line=lines[-1].position + 1, failures=failures)
    return booked_n, duplicates, applied


async def get(tx: Tx, import_id: uuid.UUID) -> ImportRead:
    """The caller's import job (an admin's: any); another importer's is a 404, as if it did not exist."""
    batch = await repository.get_import(tx.session, import_id=import_id)
    if batch is None or not (tx.actor.is_admin or batch.imported_by == tx.actor.subject):
        raise NotFound(f"import {import_id} does not exist")
    return ImportRead.model_validate(batch)


def _log_failure(exc: Exception, import_id: uuid.UUID, line: Any, failures: dict[str, int]) -> None:
    """A line's failure other than a domain error goes to the log with its traceback the first time its kind is
    seen in the chunk; the others of that kind are counted (a systematic failure fails every line alike, and a
    traceback per line took seconds each under the console renderer)."""
    if isinstance(exc, DomainError):
        return
    text = str(exc)
    kind = f"{type(exc).__name__}: {text.splitlines()[0][:200] if text else ''}"
    failures[kind] = failures.get(kind, 0) + 1
    if failures[kind] == 1:
        log.warning("payment_import_line_failed", import_id=str(import_id), line=line.position + 1, exc_info=exc)


def _line_error(exc: Exception) -> str:
    """What the import job shows of a line's failure: a domain error's own detail (written for the client); of
    anything else (the database refusing a value …) its kind only, never its text, which goes to the log."""
    if isinstance(exc, DomainError):
        return str(exc.detail or exc.title)[:300]
    if isinstance(exc, DBAPIError):
        return "the line could not be stored: a value is too long, out of range or not allowed"
    return f"the line could not be booked ({type(exc).__name__}); the service log has the details"
