"""Every ORM model of the service, imported so that Base.metadata is complete (Alembic, tests)."""

from o2c_kpi.ar.models import ReceivableMovement
from o2c_kpi.db import Base
from o2c_kpi.digests.models import DigestDelivery, DigestSubscription
from o2c_kpi.facts.models import (
    ArDaily,
    ArDailyTotal,
    ArInvoice,
    DailyCount,
    InvoiceMilestone,
    OpenItemMovement,
)
from o2c_kpi.fx.models import FxRate
from o2c_kpi.operations.models import (
    OpsAction,
    OpsCapacityOutlook,
    OpsCase,
    OpsDispute,
    OpsQualityReview,
    OpsRejection,
    OpsTeam,
    OpsVendor,
)
from o2c_kpi.reports.models import SnapshotRun, SnapshotValue
from o2c_kpi.signin.models import ReviewLinkRevocation
from o2c_kpi.sla.models import SlaBreach, SlaDefinition, SlaLevelCheck, SlaOutcome, SlaTimer, SlaWindow

__all__ = ["ArDaily", "ArDailyTotal", "ArInvoice", "Base", "DailyCount", "DigestDelivery", "DigestSubscription",
           "FxRate", "InvoiceMilestone", "OpenItemMovement", "OpsAction", "OpsCapacityOutlook", "OpsCase",
           "OpsDispute", "OpsQualityReview", "OpsRejection", "OpsTeam", "OpsVendor", "ReceivableMovement",
           "ReviewLinkRevocation", "SlaBreach", "SlaDefinition", "SlaLevelCheck", "SlaOutcome", "SlaTimer",
           "SlaWindow", "SnapshotRun", "SnapshotValue"]
