"""The reconciliation run: stream invoicing's settlements, collections' open amounts and kpi's AR per invoice,
merge-join them by invoice id, keep what disagrees, and report a drift once it outlives the grace
(``reconciliation.drift_detected``, which escalation turns into a case) and again when it clears."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from o2c_common.errors import DomainError
from o2c_common.events.contracts.kpi import ReconciliationDriftCleared, ReconciliationDriftDetected
from o2c_common.money import round_money
from o2c_common.tx import Tx
from o2c_kpi.config import KpiSettings
from o2c_kpi.reconciliation import repository
from o2c_kpi.reconciliation.client import RemoteSources
from o2c_kpi.reconciliation.compare import Drift, Side, SourceError, compare, merge_join
from o2c_kpi.reconciliation.models import ReconDrift, ReconRun


class SourceUnavailable(DomainError):
    status = 502
    type = "reconciliation-source-unavailable"
    title = "A service could not be read"


async def run(tx: Tx, *, remote: RemoteSources, settings: KpiSettings, now: datetime | None = None) -> ReconRun:
    """One full comparison. Nothing is cleared or reported when a source cannot be read (a 502 problem)."""
    await repository.lock_runs(tx.session)
    started = now or tx.now()
    drifts: dict[uuid.UUID, Drift] = {}
    invoices = 0
    try:
        async with remote.client() as client:
            streams = {**remote.streams(client),
                       Side.KPI: repository.kpi_rows(tx.session, size=settings.recon_page_size)}
            async for invoice_id, figures in merge_join(streams):
                invoices += 1
                found = compare(invoice_id, figures)
                if found is not None:
                    drifts[invoice_id] = found
    except SourceError as exc:
        raise SourceUnavailable(str(exc)) from exc
    confirmed = await _remember(tx, drifts, now=started, grace=timedelta(seconds=settings.recon_grace_s))
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    for drift in drifts.values():
        amounts[drift.currency] += drift.difference
    missing = Counter(side for drift in drifts.values() for side in drift.missing_in)
    row = ReconRun(id=uuid.uuid4(), started_at=started, finished_at=now or tx.now(), invoices=invoices,
                   drifting=len(drifts), confirmed=confirmed,
                   amount_by_currency={c: str(round_money(a, c)) for c, a in sorted(amounts.items())},
                   missing=dict(sorted(missing.items())), requested_by=tx.actor.subject)
    await repository.add(tx.session, row)
    if not tx.actor.subject.startswith("system:"):
        await tx.audit("reconciliation.run", entity_type="reconciliation_run", entity_id=row.id,
                       after={"invoices": invoices, "drifting": len(drifts), "confirmed": confirmed})
    return row


async def _remember(tx: Tx, drifts: dict[uuid.UUID, Drift], *, now: datetime, grace: timedelta) -> int:
    """Update the drift rows; emit detected for drifts older than ``grace`` not yet reported, cleared for
    reported ones that agree again. Returns how many current drifts are reported."""
    still_open = await repository.open_drifts(tx.session)
    confirmed = 0
    for invoice_id, drift in drifts.items():
        row = still_open.pop(invoice_id, None) or await _start(tx, drift, now=now)
        row.figures, row.difference, row.last_seen_at = drift.as_json(), drift.difference, now
        row.invoice_number, row.customer_id, row.owning_team, row.currency = (
            drift.invoice_number, drift.customer_id, drift.owning_team, drift.currency)
        if row.notified_at is None and now - row.first_seen_at >= grace:
            row.notified_at = now
            await tx.emit(ReconciliationDriftDetected(**_fact(drift, row), detected_at=now))
        confirmed += row.notified_at is not None
    for row in still_open.values():
        row.cleared_at = now
        if row.notified_at is not None:
            await tx.emit(ReconciliationDriftCleared(**_stored_fact(row), cleared_at=now))
    await tx.session.flush()
    return confirmed


async def _start(tx: Tx, drift: Drift, *, now: datetime) -> ReconDrift:
    row = await repository.drift(tx.session, drift.invoice_id)
    if row is None:
        row = ReconDrift(invoice_id=drift.invoice_id, currency=drift.currency, figures={}, difference=Decimal(0),
                         first_seen_at=now, last_seen_at=now)
        await repository.add(tx.session, row)
    else:  # drifted before, cleared since: a new drift with a new grace
        row.first_seen_at, row.notified_at, row.cleared_at = now, None, None
    return row


def _fact(drift: Drift, row: ReconDrift) -> dict[str, object]:
    return {"drift_key": f"invoice:{drift.invoice_id}", "invoice_id": drift.invoice_id,
            "invoice_number": drift.invoice_number, "customer_id": drift.customer_id,
            "owning_team": drift.owning_team, "currency": drift.currency,
            "invoicing_open": drift.open_of(Side.INVOICING), "collections_open": drift.open_of(Side.COLLECTIONS),
            "kpi_open": drift.open_of(Side.KPI), "missing_in": drift.missing_in, "first_seen_at": row.first_seen_at}


def _stored_fact(row: ReconDrift) -> dict[str, object]:
    def amount(name: str) -> Decimal | None:
        value = row.figures.get(name)
        return None if value is None else Decimal(value)

    return {"drift_key": f"invoice:{row.invoice_id}", "invoice_id": row.invoice_id,
            "invoice_number": row.invoice_number, "customer_id": row.customer_id, "owning_team": row.owning_team,
            "currency": row.currency, "invoicing_open": amount("invoicing_open"),
            "collections_open": amount("collections_open"), "kpi_open": amount("kpi_open"),
            "missing_in": tuple(row.figures.get("missing_in", ())), "first_seen_at": row.first_seen_at}


async def latest(tx: Tx) -> ReconRun | None:
    return await repository.latest_run(tx.session)
