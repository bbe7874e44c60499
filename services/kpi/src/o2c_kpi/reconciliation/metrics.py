"""The reconciliation's Prometheus gauges, in the app's registry (deploy/monitoring/alerts.yml alerts on them):

    o2c_reconciliation_drift_invoices                 invoices whose figures disagree in the latest run
    o2c_reconciliation_drift_amount{currency}         the sum of their largest differences, per currency
    o2c_reconciliation_last_run_timestamp             when the latest run finished (Unix seconds)
"""

from __future__ import annotations

from decimal import Decimal

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Gauge

from o2c_kpi.reconciliation.models import ReconRun


class ReconciliationGauges:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.drift_invoices = Gauge("o2c_reconciliation_drift_invoices",
                                    "Invoices whose open amount differs between invoicing, collections and kpi",
                                    registry=registry)
        self.drift_amount = Gauge("o2c_reconciliation_drift_amount",
                                  "Sum of the largest difference per drifting invoice", ["currency"],
                                  registry=registry)
        self.last_run = Gauge("o2c_reconciliation_last_run_timestamp",
                              "Unix time the latest reconciliation run finished", registry=registry)

    def publish(self, run: ReconRun) -> None:
        self.drift_invoices.set(run.drifting)
        self.drift_amount.clear()
        for currency, amount in run.amount_by_currency.items():
            self.drift_amount.labels(currency=currency).set(float(Decimal(amount)))
        self.last_run.set(run.finished_at.timestamp())


def gauges_of(app: FastAPI) -> ReconciliationGauges:
    """The app's gauges, registered on first use in the registry its lifespan made."""
    registry: CollectorRegistry = app.state.metrics.registry
    gauges: ReconciliationGauges | None = getattr(app.state, "recon_gauges", None)
    if gauges is None or getattr(app.state, "recon_registry", None) is not registry:
        gauges = app.state.recon_gauges = ReconciliationGauges(registry)
        app.state.recon_registry = registry
    return gauges
