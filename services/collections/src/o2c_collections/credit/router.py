from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Response

from o2c_collections.accounts.models import Account
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
from o2c_collections.permissions import Collector, CreditReader, Supervisor
from o2c_common.errors import problem_responses
from o2c_common.http import make_etag, set_etag
from o2c_common.tx import Tx
from o2c_common.uow import TxDep

router = APIRouter(prefix="/credit", tags=["credit"])
holds_router = APIRouter(prefix="/credit-holds", tags=["credit"])
CustomerId = Annotated[str, Path(min_length=1, max_length=64)]
RuleId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
TRANSITION = problem_responses(401, 403, 404, 409, 412, 422, 428)


def account_etag(customer_id: str, account: Account | None) -> str:
    """The account's version (0: a customer known from its invoices only, with no account row yet)."""
    return make_etag(entity_id=customer_id, version=account.version if account else 0)


async def _locked(tx: Tx, customer_id: str, if_match: IfMatchDep) -> Account:
    account = await service.lock(tx, customer_id)
    if_match(account_etag(customer_id, account))
    return account


async def _respond(tx: Tx, response: Response, customer_id: str, *, as_of: date | None = None,
                   check_team: bool = False) -> CreditProfile:
    result = await service.profile(tx, customer_id=customer_id, as_of=as_of or tx.now().date(), check_team=check_team)
    set_etag(response, etag=account_etag(customer_id, await service.account(tx, customer_id)))
    return result


@router.get("/{customer_id}", response_model=CreditProfile, responses=problem_responses(401, 403, 404, 422))
async def get_profile(customer_id: CustomerId, response: Response, tx: TxDep, _principal: CreditReader,
                      as_of: date | None = None) -> CreditProfile:
    """The customer's risk score (0 best, 100 worst) with its factors, credit limit, exposure and hold (ETag)."""
    return await _respond(tx, response, customer_id, as_of=as_of, check_team=True)


@router.put("/{customer_id}/limit", response_model=CreditProfile, responses=TRANSITION)
async def put_limit(customer_id: CustomerId, data: LimitWrite, response: Response, tx: TxDep,
                    _principal: Supervisor, if_match: IfMatchDep) -> CreditProfile:
    """Set the credit limit and its currency. Needs `If-Match`."""
    await service.set_limit(tx, await _locked(tx, customer_id, if_match), data=data)
    return await _respond(tx, response, customer_id)


@router.post("/{customer_id}/hold", response_model=CreditProfile, responses=TRANSITION)
async def place_hold(customer_id: CustomerId, data: HoldPlace, response: Response, tx: TxDep,
                     _principal: Collector, if_match: IfMatchDep) -> CreditProfile:
    """Put the customer on credit hold (credit.hold_placed with the score and exposure). Needs `If-Match`."""
    await service.place_hold(tx, await _locked(tx, customer_id, if_match), data=data)
    return await _respond(tx, response, customer_id)


@router.post("/{customer_id}/hold/release", response_model=CreditProfile, responses=TRANSITION)
async def release_hold(customer_id: CustomerId, data: HoldRelease, response: Response, tx: TxDep,
                       _principal: Collector, if_match: IfMatchDep) -> CreditProfile:
    """Lift the customer's credit hold (credit.hold_released). Needs `If-Match`."""
    await service.release_hold(tx, await _locked(tx, customer_id, if_match), data=data)
    return await _respond(tx, response, customer_id)


@holds_router.get("/rules", response_model=list[HoldRuleRead], responses=problem_responses(401, 403))
async def list_hold_rules(tx: TxDep, _principal: CreditReader) -> list[HoldRuleRead]:
    """The automatic credit hold rules."""
    return await holds.list_rules(tx)


@holds_router.put("/rules/{rule_id}", response_model=HoldRuleRead, responses=problem_responses(401, 403, 422))
async def put_hold_rule(rule_id: RuleId, data: HoldRuleWrite, tx: TxDep, _principal: Supervisor) -> HoldRuleRead:
    """Create or replace a rule: every condition given must hold (over the limit, a score at least `min_risk_score`)."""
    return await holds.put_rule(tx, rule_id=rule_id, data=data)


@holds_router.post("/runs", response_model=HoldRunResult, responses=problem_responses(401, 403, 422))
async def run_hold_rules(tx: TxDep, _principal: Supervisor, as_of: date | None = None) -> HoldRunResult:
    """Evaluate the rules now (they also run in the background): holds placed where a rule is met, rule holds
    released where none is. A second run changes nothing."""
    return await holds.run(tx, as_of=as_of or tx.now().date())
