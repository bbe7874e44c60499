"""The four services as the launcher and tools see them."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ServiceInfo:
    name: str
    port: int

    @property
    def package(self) -> str:
        return f"o2c_{self.name}"

    @property
    def env_prefix(self) -> str:
        return f"{self.name.upper()}_"

    @property
    def database(self) -> str:
        return f"o2c_{self.name}"

    @property
    def app_factory(self) -> str:
        return f"{self.package}.main:create_app"

    def directory(self) -> Path:
        """services/<name>/ (holds alembic.ini and migrations/)."""
        module = importlib.import_module(self.package)
        return Path(str(module.__file__)).resolve().parents[2]


SERVICES: dict[str, ServiceInfo] = {
    s.name: s
    for s in (
        ServiceInfo("invoicing", 8001),
        ServiceInfo("collections", 8002),
        ServiceInfo("kpi", 8003),
        ServiceInfo("escalation", 8004),
        ServiceInfo("workforce", 8005),
    )
}
