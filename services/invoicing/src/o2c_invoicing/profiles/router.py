from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from o2c_common.errors import problem_responses
from o2c_common.http import IfMatchDep, Page, PageParams, make_etag, set_etag
from o2c_common.uow import TxDep
from o2c_invoicing.deps import SettingsDep
from o2c_invoicing.permissions import ProfileMaintainer, ProfileReader
from o2c_invoicing.profiles import service
from o2c_invoicing.profiles.models import BillingProfile
from o2c_invoicing.profiles.schemas import ProfileRead, ProfileWrite

router = APIRouter(prefix="/billing-profiles", tags=["billing profiles"])

CustomerId = Annotated[str, Path(min_length=1, max_length=64)]


def etag(profile: BillingProfile) -> str:
    """A profile is keyed by its customer id."""
    return make_etag(entity_id=profile.customer_id, version=profile.version)


def read_with_etag(response: Response, profile: BillingProfile) -> ProfileRead:
    set_etag(response, etag=etag(profile))
    return ProfileRead.model_validate(profile)


@router.put("/{customer_id}", response_model=ProfileRead,
            responses=problem_responses(401, 403, 412, 422, 428) | {201: {"model": ProfileRead}})
async def put_profile(customer_id: CustomerId, data: ProfileWrite, response: Response, tx: TxDep,
                      principal: ProfileMaintainer, if_match: IfMatchDep, settings: SettingsDep) -> ProfileRead:
    """Create a customer's billing profile (201), or replace it (200; requires `If-Match`). A `portal_url` whose
    host is not allow-listed, or that is on a non-public address, is refused (422 `portal-url-not-allowed`)."""
    service.check_portal_url(data, settings)
    stored = await service.lock(tx, customer_id, data)
    if stored is not None:
        if_match(etag(stored))
    profile = await service.put(tx, customer_id, data, stored=stored)
    response.status_code = 201 if stored is None else 200
    return read_with_etag(response, profile)


@router.get("/{customer_id}", response_model=ProfileRead, responses=problem_responses(401, 403, 404))
async def get_profile(customer_id: CustomerId, response: Response, tx: TxDep,
                      _principal: ProfileReader) -> ProfileRead:
    return read_with_etag(response, await service.get(tx, customer_id))


@router.get("", response_model=Page[ProfileRead], responses=problem_responses(401, 403, 422))
async def list_profiles(tx: TxDep, _principal: ProfileReader, page: PageParams) -> Page[ProfileRead]:
    """Billing profiles by customer id; vendor agents see only their team's customers."""
    return await service.list_page(tx, page=page)
