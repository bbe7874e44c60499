"""Who may do what in the workforce service: every permission, defined once with the ``Role`` enum, and the
permission of every route (``ROUTES``: the route matrix test and ``tools/permissions_doc.py`` read it).

The AR supervisor and the service delivery lead set the operation up and see every team. A vendor agent reads its
own team only (the services narrow it: :func:`o2c_workforce.org.service.scoped_team`, the team checks of agents,
samples and assignments) and records its own training. A ``viewer`` reads the operation's state and performance but
not records about individual people (agents, training, samples, improvement plans). Requesters, billing, collection,
integration and bank-file roles have no business here and get 403 ``missing-role``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from o2c_common.auth import Permission, Principal, Role, RouteTable
from o2c_common.errors import Forbidden

MANAGER_ROLES = frozenset({Role.ADMIN, Role.AR_SUPERVISOR, Role.SERVICE_DELIVERY_LEAD})
"""See every team; record any agent's training."""

MANAGE = Permission("manage-workforce", Role.AR_SUPERVISOR, Role.SERVICE_DELIVERY_LEAD,
                    summary="sets up vendors, teams, agents, SOPs, training, hypercare, improvement and contingency "
                            "plans, sampling rules, checklists and queues")
REVIEW_QUALITY = Permission("review-quality", Role.AR_SUPERVISOR, Role.SERVICE_DELIVERY_LEAD,
                            summary="scores sampled work on its checklist (quality review)")
REVIEW_VENDORS = Permission("review-vendors", Role.AR_SUPERVISOR, Role.SERVICE_DELIVERY_LEAD,
                            summary="reads a vendor's periodic service review (every team of the vendor)")
COMPLETE_TRAINING = Permission("complete-training", Role.AR_SUPERVISOR, Role.SERVICE_DELIVERY_LEAD,
                               Role.VENDOR_AGENT,
                               summary="records a training completion (vendor agents: their own assignment)")
READ_PEOPLE = Permission("read-people", Role.AR_SUPERVISOR, Role.SERVICE_DELIVERY_LEAD, Role.VENDOR_AGENT,
                         summary="reads records about individual agents: agents, training assignments and flags, "
                                 "quality samples, improvement plans (vendor agents: their team's)")
READ_PERFORMANCE = Permission("read-performance", Role.AR_SUPERVISOR, Role.SERVICE_DELIVERY_LEAD,
                              Role.VENDOR_AGENT, Role.VIEWER,
                              summary="reads teams, backlog, quality scores, first-pass acceptance, scorecards, "
                                      "hypercare windows and productivity (vendor agents: their team's; figures "
                                      "per agent need read-people too)")
READ_PROCEDURES = Permission("read-procedures", Role.AR_SUPERVISOR, Role.SERVICE_DELIVERY_LEAD, Role.VENDOR_AGENT,
                             Role.VIEWER, summary="reads the vendors, SOPs and review checklists agents work to")
READ_PLANNING = Permission("read-planning", Role.AR_SUPERVISOR, Role.SERVICE_DELIVERY_LEAD, Role.VIEWER,
                           summary="reads capacity queues and plans, sampling rules and contingency plans (every "
                                   "team, so not vendor agents)")


def ensure_reads_people(principal: Principal, what: str) -> None:
    """Figures per agent are records about individual agents: a reader of performance who may not read people (a
    viewer) asks for them by team or vendor."""
    if not READ_PEOPLE.admits(principal.roles):
        raise Forbidden(f"{what} per agent are records about individual agents, which your role does not read: ask "
                        "for level=team or level=vendor", type="agent-records-denied",
                        title="Records about individual agents")


Manager = Annotated[Principal, Depends(MANAGE.guard)]
Reviewer = Annotated[Principal, Depends(REVIEW_QUALITY.guard)]
VendorReviewer = Annotated[Principal, Depends(REVIEW_VENDORS.guard)]
Trainee = Annotated[Principal, Depends(COMPLETE_TRAINING.guard)]
PeopleReader = Annotated[Principal, Depends(READ_PEOPLE.guard)]
PerformanceReader = Annotated[Principal, Depends(READ_PERFORMANCE.guard)]
ProcedureReader = Annotated[Principal, Depends(READ_PROCEDURES.guard)]
PlanningReader = Annotated[Principal, Depends(READ_PLANNING.guard)]

AGENT, SAMPLE, ASSIGNMENT = "/agents/{agent_id}", "/quality/samples/{sample_id}", "/training/assignments"
ROUTES = RouteTable({
    "POST /vendors": MANAGE,
    "GET /vendors": READ_PROCEDURES,
    "POST /teams": MANAGE,
    "GET /teams": READ_PERFORMANCE,
    "POST /agents": MANAGE,
    "GET /agents": READ_PEOPLE,
    f"GET {AGENT}": READ_PEOPLE,
    f"PATCH {AGENT}": MANAGE,
    "POST /sops": MANAGE,
    "GET /sops": READ_PROCEDURES,
    "POST /sops/{code}/versions": MANAGE,
    f"POST {ASSIGNMENT}": MANAGE,
    f"GET {ASSIGNMENT}": READ_PEOPLE,
    f"POST {ASSIGNMENT}/{{assignment_id}}/completion": COMPLETE_TRAINING,
    "GET /training/flags": READ_PEOPLE,
    "POST /hypercare": MANAGE,
    "GET /hypercare": READ_PERFORMANCE,
    "POST /hypercare/{window_id}/reviews": MANAGE,
    "POST /hypercare/{window_id}/closure": MANAGE,
    "POST /improvement-plans": MANAGE,
    "GET /improvement-plans": READ_PEOPLE,
    "POST /improvement-plans/{plan_id}/reviews": MANAGE,
    "POST /improvement-plans/{plan_id}/closure": MANAGE,
    "POST /contingency-plans": MANAGE,
    "GET /contingency-plans": READ_PLANNING,
    "POST /contingency-plans/{plan_id}/invocations": MANAGE,
    "GET /contingency-plans/{plan_id}/invocations": READ_PLANNING,
    "POST /quality/rules": MANAGE,
    "GET /quality/rules": READ_PLANNING,
    "PUT /quality/checklists/{process}": MANAGE,
    "GET /quality/checklists/{process}": READ_PROCEDURES,
    "GET /quality/samples": READ_PEOPLE,
    f"GET {SAMPLE}": READ_PEOPLE,
    f"POST {SAMPLE}/review": REVIEW_QUALITY,
    "GET /quality/scores": READ_PERFORMANCE,
    "GET /quality/first-pass": READ_PERFORMANCE,
    "GET /productivity": READ_PERFORMANCE,
    "GET /backlog": READ_PERFORMANCE,
    "PUT /capacity/queues/{process}": MANAGE,
    "GET /capacity/queues": READ_PLANNING,
    "POST /capacity/plan": READ_PLANNING,
    "POST /capacity/outlook:publish": MANAGE,
    "GET /scorecards": READ_PERFORMANCE,
    "GET /reviews/vendors/{vendor}": REVIEW_VENDORS,
})


def manages(principal: Principal) -> bool:
    return principal.has_role(*MANAGER_ROLES)
