from fastapi import FastAPI

from o2c_common.app import create_service_app
from o2c_common.settings import ServiceSettings
from o2c_common.workers import ConsumerSpec
from o2c_workforce.capacity.router import router as capacity_router
from o2c_workforce.config import WorkforceSettings
from o2c_workforce.contingency.router import router as contingency_router
from o2c_workforce.hypercare.router import router as hypercare_router
from o2c_workforce.improvement.router import router as improvement_router
from o2c_workforce.intake.handlers import HANDLERS
from o2c_workforce.org.router import router as org_router
from o2c_workforce.quality.router import router as quality_router
from o2c_workforce.reviews.router import router as reviews_router
from o2c_workforce.scorecards.router import router as scorecards_router
from o2c_workforce.training.router import router as training_router
from o2c_workforce.work.router import router as work_router
from o2c_workforce.workers import background_tasks

CONSUMER_GROUP = "workforce"


def consumers(settings: ServiceSettings) -> list[ConsumerSpec]:
    return [ConsumerSpec(group_id=CONSUMER_GROUP, handlers=HANDLERS)]


def create_app(settings: WorkforceSettings | None = None) -> FastAPI:
    settings = settings or WorkforceSettings()
    return create_service_app(
        settings=settings,
        title="o2c workforce",
        description="The people and process of the BPO operation: vendor teams and agents, SOPs and training, "
                    "hypercare, improvement and contingency plans, quality review, productivity and capacity, "
                    "scorecards.",
        routers=[org_router, training_router, hypercare_router, improvement_router, contingency_router,
                 quality_router, work_router, capacity_router, scorecards_router,
                 reviews_router],
        consumers=consumers,
        background=background_tasks,
    )
