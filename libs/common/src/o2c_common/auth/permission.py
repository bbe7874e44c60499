"""Named permissions: which roles may call a route, declared once per service and checked by one guard.

Each service's ``permissions.py`` names its permissions and maps every route to one of them::

    APPROVE = Permission("approve", Role.BILLING_APPROVER, Role.AR_SUPERVISOR, summary="approves invoices")
    Approver = Annotated[Principal, Depends(APPROVE.guard)]
    ROUTES = RouteTable({"POST /invoices/{invoice_id}/approve": APPROVE, ...})

Routers declare ``principal: Approver``; the route matrix test and ``tools/permissions_doc.py`` read ``ROUTES``.
``admin`` holds every permission. A :data:`PUBLIC` route takes no bearer token (health, metrics, and callbacks
authenticated by a signature of their own). A token with none of the roles gets 403 ``missing-role``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field

from o2c_common.auth.dependencies import require_roles
from o2c_common.auth.principal import ALL_ROLES, Principal, Role


@dataclass(frozen=True)
class Permission:
    """A named set of roles (``admin`` is always added) and what the permission lets its holder do."""

    name: str
    roles: frozenset[str]
    summary: str
    public: bool = False
    guard: Callable[[Principal], Awaitable[Principal]] = field(init=False, repr=False, compare=False, hash=False)

    def __init__(self, name: str, *roles: Role, summary: str, public: bool = False) -> None:
        if not public and not roles:
            raise ValueError(f"permission {name} names no role")
        unknown = {str(r) for r in roles} - ALL_ROLES
        if unknown:
            raise ValueError(f"permission {name} names unknown roles {sorted(unknown)}")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "roles", frozenset(str(r) for r in roles))
        object.__setattr__(self, "summary", summary)
        object.__setattr__(self, "public", public)
        guard = require_roles(*roles) if roles else _no_guard
        object.__setattr__(self, "guard", guard)
        guard.permission = self  # type: ignore[attr-defined]  # the route matrix finds the declaration by it

    @property
    def allowed(self) -> frozenset[str]:
        """Every role admitted (``admin`` included); all roles for a public route."""
        return ALL_ROLES if self.public else self.roles | {Role.ADMIN.value}

    def admits(self, roles: frozenset[str]) -> bool:
        return self.public or not roles.isdisjoint(self.allowed)


async def _no_guard(principal: Principal) -> Principal:  # pragma: no cover - public routes never call it
    return principal


def public(name: str, *, summary: str) -> Permission:
    """A route that takes no bearer token; ``summary`` says why (and what authenticates it instead)."""
    return Permission(name, summary=summary, public=True)


HEALTH = public("health", summary="liveness, readiness and Prometheus metrics for the platform's probes and "
                                  "scrapers; no business data (close `/metrics` by network policy)")
"""``GET /health/live``, ``/health/ready`` and ``/metrics`` of every service."""

HEALTH_ROUTES = {"GET /health/live": HEALTH, "GET /health/ready": HEALTH, "GET /metrics": HEALTH}


class RouteTable(Mapping[str, Permission]):
    """``"METHOD /path/{param}"`` → the permission of that route; the health routes are added."""

    def __init__(self, routes: Mapping[str, Permission]) -> None:
        self._routes = {**HEALTH_ROUTES, **routes}
        for key in self._routes:
            method, _, path = key.partition(" ")
            if method not in {"GET", "POST", "PUT", "PATCH", "DELETE"} or not path.startswith("/"):
                raise ValueError(f"route key {key!r} is not 'METHOD /path'")

    def __getitem__(self, key: str) -> Permission:
        return self._routes[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._routes)

    def __len__(self) -> int:
        return len(self._routes)

    def permissions(self) -> list[Permission]:
        """Each permission once, in the order of first use."""
        return list({id(p): p for p in self._routes.values()}.values())
