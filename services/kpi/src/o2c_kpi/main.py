from fastapi import FastAPI

from o2c_common.app import create_service_app
from o2c_common.events import TOPICS
from o2c_common.outbox import Outbox
from o2c_common.settings import ServiceSettings
from o2c_common.workers import ConsumerSpec
from o2c_kpi.ar.router import router as kpi_router
from o2c_kpi.config import KpiSettings
from o2c_kpi.facts.handlers import HANDLERS as FACT_HANDLERS
from o2c_kpi.kpis.router import router as kpis_router

ALL_TOPICS = tuple(TOPICS.values())


def consumers(settings: ServiceSettings, outbox: Outbox) -> list[ConsumerSpec]:
    return [
        # read models (facts) the KPIs are computed from
        ConsumerSpec(group_id="kpi", topics=ALL_TOPICS, handlers=FACT_HANDLERS),
    ]


def create_app(settings: KpiSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or KpiSettings(),
        title="o2c kpi",
        description="KPIs and SLA metrics kept current from every event: DSO, CEI, aging, cycle times, SLAs.",
        routers=[kpi_router, kpis_router],
        consumers=consumers,
    )
