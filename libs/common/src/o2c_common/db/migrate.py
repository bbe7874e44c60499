"""Run a service's Alembic migrations programmatically (launcher, tests, the migration Job)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config


def alembic_config(service_dir: Path, url: str, service_role: str | None = None) -> Config:
    cfg = Config(str(service_dir / "alembic.ini"))
    cfg.set_main_option("script_location", str(service_dir / "migrations"))
    cfg.attributes["url"] = url
    cfg.attributes["service_role"] = service_role
    return cfg


def upgrade(service_dir: Path, url: str, revision: str = "heads", *, service_role: str | None = None) -> None:
    """Blocking; call from a thread when an event loop is running (env.py runs its own loop).

    "heads": migrations written on parallel branches of work may each follow the same parent; all are applied.
    ``url`` is the owner's; ``service_role``, when the service connects as another role, is granted its rights
    afterwards (o2c_common.db.roles).
    """
    command.upgrade(alembic_config(service_dir, url, service_role), revision)


def downgrade(service_dir: Path, url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(service_dir, url), revision)
