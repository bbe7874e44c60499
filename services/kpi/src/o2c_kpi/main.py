from fastapi import FastAPI

from o2c_common.app import create_service_app
from o2c_common.events import TOPICS
from o2c_common.outbox import Outbox
from o2c_common.settings import ServiceSettings
from o2c_common.workers import ConsumerSpec
from o2c_kpi.ar.handlers import HANDLERS as AR_HANDLERS
from o2c_kpi.ar.router import router as kpi_router
from o2c_kpi.config import KpiSettings

ALL_TOPICS = tuple(TOPICS.values())


def consumers(settings: ServiceSettings, outbox: Outbox) -> list[ConsumerSpec]:
    return [
        # read models (facts) the KPIs are computed from
        ConsumerSpec(group_id="kpi", topics=ALL_TOPICS, handlers=AR_HANDLERS),
    ]


def create_app(settings: KpiSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or KpiSettings(),
        title="o2c kpi",
        description="KPIs and SLA metrics kept current from every event: DSO, CEI, aging, cycle times, SLAs.",
        routers=[kpi_router],
        consumers=consumers,
    )
