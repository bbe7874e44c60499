from datetime import date

from fastapi import FastAPI

from o2c_common.app import create_service_app
from o2c_common.settings import ServiceSettings
from o2c_common.workers import ConsumerSpec
from o2c_kpi.ar.router import router as kpi_router
from o2c_kpi.config import KpiSettings
from o2c_kpi.digests.router import router as digests_router
from o2c_kpi.facts.handlers import HANDLERS as FACT_HANDLERS
from o2c_kpi.facts.rebuild import GROUP_ID as FACTS_LANE
from o2c_kpi.fx.router import router as fx_router
from o2c_kpi.kpis.router import router as kpis_router
from o2c_kpi.operations.handlers import CONSUMER_GROUP as OPERATIONS_GROUP, HANDLERS as OPERATIONS_HANDLERS
from o2c_kpi.operations.router import router as operations_router
from o2c_kpi.reconciliation.router import router as reconciliation_router
from o2c_kpi.reports.router import router as reports_router
from o2c_kpi.signin import access as browser_access
from o2c_kpi.signin.router import router as signin_router
from o2c_kpi.sla.handlers import CONSUMER_GROUP as SLA_GROUP, handlers as sla_handlers
from o2c_kpi.sla.router import router as sla_router
from o2c_kpi.workers import background_tasks

PROJECTIONS_GROUP = "kpi-projections"
"""The one consumer group of kpi's three projections: the broker serves each record to kpi once, not three times."""


def consumers(settings: ServiceSettings) -> list[ConsumerSpec]:
    """kpi's projections read the same fetches, each in a lane of its own (inbox rows, transaction, dead letters and
    rebuild apart). They were groups of their own: a partition the group has no offset for yet starts where the slowest
    of those groups stopped."""
    return [ConsumerSpec(group_id=PROJECTIONS_GROUP, lanes=(
        # read models (facts) the KPIs are computed from
        (FACTS_LANE, FACT_HANDLERS),
        # SLA outcomes and timers (o2c_kpi.sla), emitting sla.breached / sla.recovered
        (SLA_GROUP, sla_handlers(holidays=_sla_holidays(settings))),
        # quality, Pareto, open work and capacity outlook of the reviews (o2c_kpi.operations)
        (OPERATIONS_GROUP, OPERATIONS_HANDLERS),
    ))]


def _sla_holidays(settings: ServiceSettings) -> tuple[date, ...]:
    return settings.sla_holidays if isinstance(settings, KpiSettings) else ()


def create_app(settings: KpiSettings | None = None) -> FastAPI:
    app = create_service_app(
        settings=settings or KpiSettings(),
        title="o2c kpi",
        description="KPIs and SLA metrics kept current from every event: DSO, CEI, aging, cycle times, SLAs.",
        routers=[kpi_router, kpis_router, sla_router, reports_router, reconciliation_router, fx_router,
                 signin_router, digests_router, operations_router],
        consumers=consumers,
        background=background_tasks,
    )
    browser_access.install(app)  # the review pages open with the sign-in cookie or a signed link too
    return app
