"""Who may do what in the kpi service: every permission, defined once with the ``Role`` enum, and the permission
of every route (``ROUTES``: the route matrix test and ``tools/permissions_doc.py`` read it). Vendor agents are
narrowed to their own team by the services (:func:`team_in_view`); requesters read no KPI."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from o2c_common.auth import Permission, Principal, Role, RouteTable, public, visible_team
from o2c_common.errors import Forbidden

READ = Permission("read-kpis", Role.BILLING_SPECIALIST, Role.BILLING_APPROVER, Role.AR_SUPERVISOR, Role.COLLECTOR,
                  Role.VENDOR_AGENT, Role.SERVICE_DELIVERY_LEAD, Role.INTEGRATION, Role.VIEWER,
                  summary="reads KPIs, open AR, SLA definitions, breaches and attainment, reports and drifts "
                          "(vendor agents: their team's)")
WRITE_SLAS = Permission("write-slas", Role.AR_SUPERVISOR, summary="defines, changes and deletes SLA definitions")
RECONCILE = Permission("reconcile", Role.INTEGRATION, Role.AR_SUPERVISOR,
                       summary="runs the reconciliation and reads every invoice's open amount")
READ_RECONCILIATION = Permission("read-reconciliation", Role.INTEGRATION, Role.AR_SUPERVISOR,
                                 Role.SERVICE_DELIVERY_LEAD, Role.VIEWER,
                                 summary="reads the latest reconciliation run (every team's totals, so not vendor "
                                         "agents)")

WRITE_FX_RATES = Permission("write-fx-rates", Role.AR_SUPERVISOR, Role.INTEGRATION,
                            summary="imports the ECB reference rates file and sets FX rates by hand")

SIGNIN = public("sign-in", summary="the browser's sign-in page and form: a pasted bearer token is verified and kept "
                                   "in an HttpOnly cookie that opens the review pages only (docs/reviews-access.md)")

MANAGE_DIGESTS = Permission("manage-digests", Role.AR_SUPERVISOR, Role.SERVICE_DELIVERY_LEAD,
                            summary="subscribes people to e-mail digests of the reviews, changes and deletes the "
                                    "subscriptions, and sends a digest now")

Reader = Annotated[Principal, Depends(READ.guard)]
SlaWriter = Annotated[Principal, Depends(WRITE_SLAS.guard)]
DigestManager = Annotated[Principal, Depends(MANAGE_DIGESTS.guard)]
Reconciler = Annotated[Principal, Depends(RECONCILE.guard)]
ReconciliationReader = Annotated[Principal, Depends(READ_RECONCILIATION.guard)]
FxRateWriter = Annotated[Principal, Depends(WRITE_FX_RATES.guard)]

ROUTES = RouteTable({
    "GET /kpis/open-ar": READ,
    "GET /ar/open-amounts": RECONCILE,
    "GET /kpis": READ,
    "GET /kpis/definitions": READ,
    "GET /sla-metrics": READ,
    "POST /sla-definitions": WRITE_SLAS,
    "GET /sla-definitions": READ,
    "GET /sla-definitions/{definition_id}": READ,
    "PUT /sla-definitions/{definition_id}": WRITE_SLAS,
    "DELETE /sla-definitions/{definition_id}": WRITE_SLAS,
    "GET /sla/breaches": READ,
    "GET /sla/attainment": READ,
    "GET /reports/daily-snapshots": READ,
    "GET /reports/{kind}": READ,
    "GET /signin": SIGNIN,
    "POST /signin": SIGNIN,
    "POST /signout": SIGNIN,
    "POST /reports/links": READ,
    "POST /reports/links/revocations": READ,
    "POST /digests": MANAGE_DIGESTS,
    "GET /digests": READ,
    "GET /digests/{digest_id}": READ,
    "PUT /digests/{digest_id}": MANAGE_DIGESTS,
    "DELETE /digests/{digest_id}": MANAGE_DIGESTS,
    "POST /digests/{digest_id}/send": MANAGE_DIGESTS,
    "GET /digests/{digest_id}/deliveries": READ,
    "POST /reconciliation/runs": RECONCILE,
    "GET /reconciliation/runs/latest": READ_RECONCILIATION,
    "GET /reconciliation/drifts": READ,
    "GET /reviews/operations": READ,
    "GET /fx/rates": READ,
    "PUT /fx/rates/{day}/{currency}": WRITE_FX_RATES,
    "POST /fx/rates/ecb": WRITE_FX_RATES,
    "GET /kpis/consolidated": READ,
})

def team_in_view(principal: Principal, team: str | None, *, what: str) -> str | None:
    """The team a read is narrowed to: a vendor agent's own (asking for another team's ``what`` is a 403),
    anyone else's choice (``None``: every team)."""
    own = visible_team(principal)
    if own is not None and team not in (None, own):
        raise Forbidden(f"vendor agents see their own team's {what} only", type="team-access-denied",
                        title="Team access denied")
    return own or team
