"""Every ORM model of the service, imported so that Base.metadata is complete (Alembic, tests)."""

from o2c_escalation.cases.models import Case
from o2c_escalation.db import Base

__all__ = ["Base", "Case"]
