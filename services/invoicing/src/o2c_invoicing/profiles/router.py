from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from o2c_common.auth import CurrentPrincipal, Principal, require_roles, visible_team
from o2c_common.errors import problem_responses
from o2c_common.http import Page, PageParams, set_etag
from o2c_common.uow import SessionDep
from o2c_invoicing.deps import IfMatchDep
from o2c_invoicing.profiles import service
from o2c_invoicing.profiles.schemas import ProfileRead, ProfileWrite

router = APIRouter(prefix="/billing-profiles", tags=["billing profiles"])

Maintainer = Annotated[Principal, Depends(require_roles("billing_specialist", "ar_supervisor", "integration",
                                                        "vendor_agent"))]
CustomerId = Annotated[str, Path(min_length=1, max_length=64)]


@router.put("/{customer_id}", response_model=ProfileRead,
            responses=problem_responses(401, 403, 412, 422, 428) | {201: {"model": ProfileRead}})
async def put_profile(customer_id: CustomerId, data: ProfileWrite, response: Response, session: SessionDep,
                      principal: Maintainer, if_match: IfMatchDep) -> ProfileRead:
    """Create a customer's billing profile (201), or replace it (200; requires `If-Match`)."""
    profile, created = await service.put(session, customer_id=customer_id, data=data, principal=principal,
                                         precondition=if_match)
    response.status_code = 201 if created else 200
    set_etag(response, etag=service.etag(profile))
    return ProfileRead.model_validate(profile)


@router.get("/{customer_id}", response_model=ProfileRead, responses=problem_responses(401, 403, 404))
async def get_profile(customer_id: CustomerId, response: Response, session: SessionDep,
                      principal: CurrentPrincipal) -> ProfileRead:
    profile = await service.get(session, customer_id=customer_id, principal=principal)
    set_etag(response, etag=service.etag(profile))
    return ProfileRead.model_validate(profile)


@router.get("", response_model=Page[ProfileRead], responses=problem_responses(401, 403, 422))
async def list_profiles(session: SessionDep, principal: CurrentPrincipal, page: PageParams) -> Page[ProfileRead]:
    """Billing profiles by customer id; vendor agents see only their team's customers."""
    return await service.list_page(session, page=page, team=visible_team(principal))
