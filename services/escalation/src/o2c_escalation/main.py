from fastapi import FastAPI

from o2c_common.app import create_service_app
from o2c_common.events.contracts.collections import AccountUpdated
from o2c_common.inbox import Handlers
from o2c_common.settings import ServiceSettings
from o2c_common.workers import ConsumerSpec
from o2c_escalation.actions.router import router as actions_router
from o2c_escalation.calendars.router import router as calendars_router
from o2c_escalation.cases.handlers import handlers as case_handlers
from o2c_escalation.cases.router import lifecycle_router, router as cases_router
from o2c_escalation.comments.router import router as comments_router
from o2c_escalation.config import EscalationSettings
from o2c_escalation.drifts.handlers import handlers as drift_handlers
from o2c_escalation.routing.handlers import on_account_updated_remember_team
from o2c_escalation.routing.router import router as routing_router
from o2c_escalation.sla.router import router as sla_router
from o2c_escalation.views.router import router as views_router
from o2c_escalation.webhooks.router import router as webhooks_router
from o2c_escalation.workers import background_tasks

CONSUMER_GROUP = "escalation"


def handlers(settings: EscalationSettings) -> Handlers:
    """The service's one handler map: cases opened from events, reconciliation drifts as cases, and the account
    teams that route them."""
    return {**case_handlers(settings), **drift_handlers(settings),
            AccountUpdated: on_account_updated_remember_team}


def consumers(settings: ServiceSettings) -> list[ConsumerSpec]:
    assert isinstance(settings, EscalationSettings)
    return [ConsumerSpec(group_id=CONSUMER_GROUP, handlers=handlers(settings))]


def create_app(settings: EscalationSettings | None = None) -> FastAPI:
    settings = settings or EscalationSettings()
    return create_service_app(
        settings=settings,
        title="o2c escalation",
        description="The first-level escalation desk: cases, tiers, SLA clocks, corrective actions, webhooks.",
        routers=[cases_router, lifecycle_router, comments_router, actions_router, views_router, routing_router,
                 calendars_router, sla_router, webhooks_router],
        consumers=consumers,
        background=lambda app: background_tasks(transactions=app.state.transactions, settings=settings),
    )
