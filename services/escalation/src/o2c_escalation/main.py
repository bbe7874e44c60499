from fastapi import FastAPI

from o2c_common.app import create_service_app
from o2c_escalation.cases.router import router as cases_router
from o2c_escalation.config import EscalationSettings


def create_app(settings: EscalationSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or EscalationSettings(),
        title="o2c escalation",
        description="The first-level escalation desk: cases, tiers, SLA clocks, corrective actions, webhooks.",
        routers=[cases_router],
    )
