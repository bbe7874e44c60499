"""Every ORM model of the service, imported so that Base.metadata is complete (Alembic, tests)."""

from o2c_collections.accounts.models import Account
from o2c_collections.approvals.models import ReductionApproval
from o2c_collections.cashapp.models import Application, Payment, RemittanceLine
from o2c_collections.credit.models import CreditHoldRule
from o2c_collections.db import Base
from o2c_collections.deductions.models import Deduction
from o2c_collections.disputes.models import Dispute
from o2c_collections.dunning.models import (
    DunningNotice,
    DunningPolicy,
    DunningStatement,
    DunningStatementItem,
    DunningTemplate,
)
from o2c_collections.escalations.models import Breach, EscalationRule
from o2c_collections.payments.models import PaymentImport, PaymentImportLine
from o2c_collections.promises.models import Promise
from o2c_collections.receivables.models import LedgerEntry, OpenItem
from o2c_collections.risk.models import RiskModel

__all__ = ["Account", "Application", "Base", "Breach", "CreditHoldRule", "Deduction", "Dispute", "DunningNotice",
           "DunningPolicy", "DunningStatement", "DunningStatementItem", "DunningTemplate", "EscalationRule",
           "LedgerEntry", "OpenItem", "Payment", "PaymentImport", "PaymentImportLine", "Promise", "ReductionApproval",
           "RemittanceLine", "RiskModel"]
