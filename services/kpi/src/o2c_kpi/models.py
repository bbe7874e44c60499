"""Every ORM model of the service, imported so that Base.metadata is complete (Alembic, tests)."""

from o2c_kpi.ar.models import ReceivableMovement
from o2c_kpi.db import Base

__all__ = ["Base", "ReceivableMovement"]
