from o2c_common.db.database import NAMING_CONVENTION, Database, make_metadata
from o2c_common.db.plumbing import (
    audit_log_table,
    idempotency_keys_table,
    inbox_table,
    outbox_table,
    plumbing_metadata,
)

__all__ = [
    "NAMING_CONVENTION",
    "Database",
    "audit_log_table",
    "idempotency_keys_table",
    "inbox_table",
    "make_metadata",
    "outbox_table",
    "plumbing_metadata",
]
