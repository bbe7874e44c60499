from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from o2c_collections.credit import holds, service
from o2c_collections.credit.schemas import (
    CreditProfile,
    HoldPlace,
    HoldRelease,
    HoldRuleRead,
    HoldRuleWrite,
    HoldRunResult,
    LimitWrite,
)
from o2c_collections.deps import IfMatchDep
from o2c_common.auth import Principal, require_roles
from o2c_common.errors import problem_responses
from o2c_common.http import set_etag
from o2c_common.uow import OutboxDep, SessionDep

router = APIRouter(prefix="/credit", tags=["credit"])
holds_router = APIRouter(prefix="/credit-holds", tags=["credit"])
Reader = Annotated[Principal, Depends(require_roles("ar_supervisor", "collector", "vendor_agent", "integration"))]
Collector = Annotated[Principal, Depends(require_roles("ar_supervisor", "collector"))]
Supervisor = Annotated[Principal, Depends(require_roles("ar_supervisor"))]
CustomerId = Annotated[str, Path(min_length=1, max_length=64)]
RuleId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
TRANSITION = problem_responses(401, 403, 404, 409, 412, 422, 428)


async def _respond(session: SessionDep, response: Response, customer_id: str, *, as_of: date | None = None,
                   principal: Principal | None = None) -> CreditProfile:
    result = await service.profile(session, customer_id=customer_id, as_of=as_of or datetime.now(UTC).date(),
                                   principal=principal)
    account = await service.repository.account(session, customer_id=customer_id)
    set_etag(response, etag=service.etag(customer_id=customer_id, account=account))
    return result


@router.get("/{customer_id}", response_model=CreditProfile, responses=problem_responses(401, 403, 404, 422))
async def get_profile(customer_id: CustomerId, response: Response, session: SessionDep, principal: Reader,
                      as_of: date | None = None) -> CreditProfile:
    """The customer's risk score (0 best, 100 worst) with its factors, credit limit, exposure and hold (ETag)."""
    return await _respond(session, response, customer_id, as_of=as_of, principal=principal)


@router.put("/{customer_id}/limit", response_model=CreditProfile, responses=TRANSITION)
async def put_limit(customer_id: CustomerId, data: LimitWrite, response: Response, session: SessionDep,
                    principal: Supervisor, if_match: IfMatchDep) -> CreditProfile:
    """Set the credit limit and its currency. Needs `If-Match`."""
    await service.set_limit(session, customer_id=customer_id, data=data, principal=principal, precondition=if_match)
    return await _respond(session, response, customer_id)


@router.post("/{customer_id}/hold", response_model=CreditProfile, responses=TRANSITION)
async def place_hold(customer_id: CustomerId, data: HoldPlace, response: Response, session: SessionDep,
                     outbox: OutboxDep, principal: Collector, if_match: IfMatchDep) -> CreditProfile:
    """Put the customer on credit hold (credit.hold_placed with the score and exposure). Needs `If-Match`."""
    await service.place_hold(session, customer_id=customer_id, data=data, principal=principal,
                             precondition=if_match, outbox=outbox)
    return await _respond(session, response, customer_id)


@router.post("/{customer_id}/hold/release", response_model=CreditProfile, responses=TRANSITION)
async def release_hold(customer_id: CustomerId, data: HoldRelease, response: Response, session: SessionDep,
                       outbox: OutboxDep, principal: Collector, if_match: IfMatchDep) -> CreditProfile:
    """Lift the customer's credit hold (credit.hold_released). Needs `If-Match`."""
    await service.release_hold(session, customer_id=customer_id, data=data, principal=principal,
                               precondition=if_match, outbox=outbox)
    return await _respond(session, response, customer_id)


@holds_router.get("/rules", response_model=list[HoldRuleRead], responses=problem_responses(401, 403))
async def list_hold_rules(session: SessionDep, principal: Reader) -> list[HoldRuleRead]:
    """The automatic credit hold rules."""
    return await holds.list_rules(session)


@holds_router.put("/rules/{rule_id}", response_model=HoldRuleRead, responses=problem_responses(401, 403, 422))
async def put_hold_rule(rule_id: RuleId, data: HoldRuleWrite, session: SessionDep,
                        principal: Supervisor) -> HoldRuleRead:
    """Create or replace a rule: every condition given must hold (over the limit, a score at least `min_risk_score`)."""
    return await holds.put_rule(session, rule_id=rule_id, data=data, principal=principal)


@holds_router.post("/runs", response_model=HoldRunResult, responses=problem_responses(401, 403, 422))
async def run_hold_rules(session: SessionDep, outbox: OutboxDep, principal: Supervisor,
                         as_of: date | None = None) -> HoldRunResult:
    """Evaluate the rules now (they also run in the background): holds placed where a rule is met, rule holds
    released where none is. A second run changes nothing."""
    return await holds.run(session, as_of=as_of or datetime.now(UTC).date(), outbox=outbox)
