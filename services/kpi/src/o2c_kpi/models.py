"""Every ORM model of the service, imported so that Base.metadata is complete (Alembic, tests)."""

from o2c_kpi.ar.models import ReceivableMovement
from o2c_kpi.db import Base
from o2c_kpi.facts.models import (
    ArDaily,
    ArDailyCustomer,
    ArDailyTotal,
    ArInvoice,
    DailyCount,
    InvoiceMilestone,
    OpenItemMovement,
)

__all__ = ["ArDaily", "ArDailyCustomer", "ArDailyTotal", "ArInvoice", "Base", "DailyCount", "InvoiceMilestone",
           "OpenItemMovement", "ReceivableMovement"]
