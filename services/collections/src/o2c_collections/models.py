"""Every ORM model of the service, imported so that Base.metadata is complete (Alembic, tests)."""

from o2c_collections.db import Base
from o2c_collections.receivables.models import LedgerEntry, OpenItem

__all__ = ["Base", "LedgerEntry", "OpenItem"]
