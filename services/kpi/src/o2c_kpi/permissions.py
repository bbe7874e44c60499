"""Who may do what in the kpi service: every role set, defined once. Reading needs any authenticated caller
(``CurrentPrincipal``); vendor agents are narrowed to their own team by the services."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from o2c_common.auth import Principal, Role, require_roles

SlaWriter = Annotated[Principal, Depends(require_roles(Role.AR_SUPERVISOR))]
"""Defines, changes and deletes SLA definitions (``admin`` always passes)."""
