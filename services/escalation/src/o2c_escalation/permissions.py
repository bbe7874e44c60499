"""Who may do what in the escalation desk: every permission, defined once with the ``Role`` enum, and the
permission of every route (``ROUTES``: the route matrix test and ``tools/permissions_doc.py`` read it).

Cases are open to every role on purpose: anyone in the company (sales, operations, finance: ``requester``) may
raise one and follow it. What a caller then sees and may do is the case rule of the services: managers every case,
vendor agents their team's, anyone else the cases they raised (others are a 404). A token with no role gets 403."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from o2c_common.auth import Permission, Principal, Role, RouteTable

CASE_MANAGER_ROLES = frozenset({Role.ADMIN, Role.AR_SUPERVISOR, Role.SERVICE_DELIVERY_LEAD})
"""See and work every team's cases and move a case to another team's queue."""

CASES = Permission("cases", *(role for role in Role if role != Role.ADMIN),
                   summary="raises cases and works the ones the case rule shows it: managers every case, vendor "
                           "agents their team's, anyone else the cases they raised")
READ_DESK = Permission("read-desk", Role.AR_SUPERVISOR, Role.SERVICE_DELIVERY_LEAD, Role.VENDOR_AGENT,
                       Role.COLLECTOR, Role.INTEGRATION,
                       summary="reads the desk's set-up: routing rules, calendars, SLA policies")
MANAGE_DESK = Permission("manage-desk", Role.AR_SUPERVISOR, Role.SERVICE_DELIVERY_LEAD,
                         summary="changes the desk's set-up: calendars, routing rules, SLA policies")
WEBHOOKS = Permission("webhooks", Role.INTEGRATION, Role.SERVICE_DELIVERY_LEAD,
                      summary="manages its own webhook subscriptions and their deliveries (admins every one)")

CaseParticipant = Annotated[Principal, Depends(CASES.guard)]
DeskReader = Annotated[Principal, Depends(READ_DESK.guard)]
Manager = Annotated[Principal, Depends(MANAGE_DESK.guard)]
Integrator = Annotated[Principal, Depends(WEBHOOKS.guard)]

CASE = "/cases/{case_id}"
ROUTES = RouteTable({
    "POST /cases": CASES,
    "GET /cases": CASES,
    f"GET {CASE}": CASES,
    f"GET {CASE}/history": CASES,
    f"PUT {CASE}/assignment": CASES,
    f"PUT {CASE}/contingency-plan": CASES,
    f"POST {CASE}/transitions": CASES,
    f"POST {CASE}/escalate": CASES,
    f"POST {CASE}/comments": CASES,
    f"GET {CASE}/comments": CASES,
    f"POST {CASE}/actions": CASES,
    f"GET {CASE}/actions": CASES,
    f"PATCH {CASE}/actions/{{action_id}}": CASES,
    "GET /views/my-cases": CASES,
    "GET /views/team-queue": CASES,
    "GET /views/breached": CASES,
    "GET /views/aging": CASES,
    "GET /views/counts": CASES,
    "GET /routing-rules": READ_DESK,
    "POST /routing-rules": MANAGE_DESK,
    "DELETE /routing-rules/{rule_id}": MANAGE_DESK,
    "GET /calendars": READ_DESK,
    "GET /calendars/{team}": READ_DESK,
    "PUT /calendars/{team}": MANAGE_DESK,
    "GET /sla-policies": READ_DESK,
    "PUT /sla-policies/{severity}": MANAGE_DESK,
    "POST /webhooks/subscriptions": WEBHOOKS,
    "GET /webhooks/subscriptions": WEBHOOKS,
    "DELETE /webhooks/subscriptions/{subscription_id}": WEBHOOKS,
    "GET /webhooks/deliveries": WEBHOOKS,
    "GET /webhooks/deliveries/{delivery_id}": WEBHOOKS,
    "POST /webhooks/deliveries/{delivery_id}/replay": WEBHOOKS,
    "POST /webhooks/deliveries/replay": WEBHOOKS,
})


def manages_cases(principal: Principal) -> bool:
    return principal.has_role(*CASE_MANAGER_ROLES)
