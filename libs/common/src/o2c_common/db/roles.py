"""Two database roles per service: the owner, that migrations run as, and the service role the service runs as.

The owner owns every table (it created them) and alone could alter or drop them and their triggers. The service
role gets the data rights it needs on every table, but on the audit trail only INSERT and SELECT (``audit_log``)
and SELECT (``audit_chain``, written by the owner's SECURITY DEFINER trigger): it can neither change nor delete
an audit row, nor drop or disable the triggers that refuse it (only an owner may), nor touch ``alembic_version``.

:func:`grant_service_role` runs after every migration as the owner (``o2c_common.db.alembic_env``), so tables a
migration added are granted too. With a single URL (day-one dev: the service's ``database_url`` only) the
service is the owner, nothing is granted, and the audit trail is protected by its triggers alone.
"""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

OWNER_ROLE = "o2c_owner"  # the local stack's and the test fixtures' names
SERVICE_ROLE = "o2c_service"
AUDIT_TABLES = ("audit_log", "audit_chain")


def role_of(url: str) -> str | None:
    return make_url(url).username


def service_role_for(migration_url: str, service_url: str) -> str | None:
    """The role to grant when migrations and the service connect as different users, else None."""
    owner, service = role_of(migration_url), role_of(service_url)
    return service if service and service != owner else None


def grant_service_role(connection: Connection, role: str) -> None:
    """Grant ``role`` what a service needs; idempotent, run as the owner after the migrations."""
    quoted = connection.dialect.identifier_preparer.quote(role)
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"REVOKE ALL ON alembic_version FROM {quoted}",
        f"GRANT SELECT ON alembic_version TO {quoted}",
    ]
    existing = set(connection.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY(:t)"),
        {"t": list(AUDIT_TABLES)}).scalars())
    for table in AUDIT_TABLES:
        if table in existing:
            statements.append(f"REVOKE ALL ON {table} FROM {quoted}")
    if "audit_log" in existing:
        statements.append(f"GRANT SELECT, INSERT ON audit_log TO {quoted}")
    if "audit_chain" in existing:
        statements.append(f"GRANT SELECT ON audit_chain TO {quoted}")
    for statement in statements:
        connection.execute(text(statement))


def ensure_roles_sql(owner: str = OWNER_ROLE, service: str = SERVICE_ROLE) -> list[str]:
    """Statements a superuser runs once per cluster (embedded PostgreSQL, test fixtures): both login roles."""
    template = ("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{name}') THEN "
                "CREATE ROLE {name} LOGIN{extra}; END IF; END $$")  # role names from code, never from input
    return [template.format(name=name, extra=extra) for name, extra in ((owner, " CREATEDB"), (service, ""))]
