from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from o2c_common.errors import ValidationFailed, problem_responses
from o2c_common.uow import TxDep
from o2c_workforce.deps import SettingsDep
from o2c_workforce.permissions import VendorReviewer
from o2c_workforce.reviews import service
from o2c_workforce.reviews.schemas import VendorReview

router = APIRouter(prefix="/reviews", tags=["business reviews"])


@router.get("/vendors/{vendor}", response_model=VendorReview, responses=problem_responses(401, 403, 404, 422))
async def vendor_review(vendor: str, since: date, until: date, tx: TxDep, settings: SettingsDep,
                        principal: VendorReviewer) -> VendorReview:
    """A vendor's business review of [since, until) against the period of the same length before it: headline
    measures with targets, trend arrows and status, Pareto of first-pass rejection reasons and of review defects,
    under- and top performers, open improvement plans, contingency invocations, the next week's capacity shortfalls
    and a narrative. For the AR supervisor and the service delivery lead, who present it."""
    if until <= since or (until - since).days > 366:
        raise ValidationFailed("until must be after since, at most a year later", errors=[
            {"parameter": "until", "location": "query", "detail": "after since, at most 366 days later"}])
    return await service.vendor_review(tx, vendor=vendor, since=since, until=until, settings=settings)
