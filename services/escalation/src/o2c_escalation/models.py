"""Every ORM model of the service, imported so that Base.metadata is complete (Alembic, tests)."""

from o2c_escalation.actions.models import Action
from o2c_escalation.calendars.models import TeamCalendar
from o2c_escalation.cases.models import Case, OwnershipChange, StatusChange
from o2c_escalation.comments.models import Comment
from o2c_escalation.db import Base
from o2c_escalation.routing.models import AccountTeam, RoutingRule
from o2c_escalation.sla.models import SlaPolicy, SlaTimer
from o2c_escalation.webhooks.models import Attempt, Delivery, Subscription

__all__ = ["AccountTeam", "Action", "Attempt", "Base", "Case", "Comment", "Delivery", "OwnershipChange", "RoutingRule",
           "SlaPolicy", "SlaTimer", "StatusChange", "Subscription", "TeamCalendar"]
