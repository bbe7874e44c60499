"""Append-only audit trail helpers."""

from o2c_common.audit.jsonable import to_json_safe
from o2c_common.audit.log import AuditEntry, list_audit_trail, record_audit

__all__ = ["AuditEntry", "list_audit_trail", "record_audit", "to_json_safe"]
