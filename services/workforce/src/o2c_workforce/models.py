"""Every ORM model of the service, imported so that Base.metadata is complete (Alembic, tests)."""

from o2c_workforce.capacity.models import Queue
from o2c_workforce.contingency.models import ContingencyPlan, Invocation
from o2c_workforce.db import Base
from o2c_workforce.hypercare.models import HypercareReview, HypercareWindow
from o2c_workforce.improvement.models import ImprovementPlan, PlanReview
from o2c_workforce.org.models import Agent, Team, Vendor
from o2c_workforce.quality.models import Checklist, Sample, SamplingRule
from o2c_workforce.training.models import Sop, SopVersion, TrainingAssignment, UntrainedWorkFlag
from o2c_workforce.work.models import PortalOutcome, WorkItem

__all__ = ["Agent", "Base", "Checklist", "ContingencyPlan", "HypercareReview", "HypercareWindow", "ImprovementPlan",
           "Invocation", "PlanReview", "PortalOutcome", "Queue", "Sample", "SamplingRule", "Sop", "SopVersion", "Team",
           "TrainingAssignment", "UntrainedWorkFlag", "Vendor", "WorkItem"]
