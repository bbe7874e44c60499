from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Request, Response

from o2c_collections.master import imports, service
from o2c_collections.master.schemas import AccountRead, AccountWrite, ImportSummary
from o2c_collections.permissions import AccountEditor, ArReader, SupervisorOrIntegration
from o2c_common.auth import visible_team
from o2c_common.errors import ValidationFailed, problem_responses
from o2c_common.http import IfMatchDep, Page, PageParams, set_etag
from o2c_common.uow import TxDep

router = APIRouter(prefix="/accounts", tags=["accounts"])
CustomerId = Annotated[str, Path(min_length=1, max_length=64)]
MAX_FILE_BYTES = 5 * 1024 * 1024


@router.get("", response_model=Page[AccountRead], responses=problem_responses(401, 403, 422))
async def list_accounts(tx: TxDep, _principal: ArReader, page: PageParams, collector: str | None = None,
                        team: str | None = None,
                        parent: str | None = None, segment: str | None = None) -> Page[AccountRead]:
    """The account master by customer id, filtered by collector, owning team, group parent or segment; vendor
    agents see their team's accounts only."""
    return await service.list_page(tx, page=page, collector=collector, team=visible_team(tx.actor) or team,
                                   parent=parent, segment=segment)


@router.post("/import", response_model=ImportSummary, responses=problem_responses(401, 403, 413, 422))
async def import_accounts(request: Request, tx: TxDep, _principal: SupervisorOrIntegration,
                          _body: Annotated[str, Body(media_type="text/csv")] = "") -> ImportSummary:
    """Create or update accounts from a CSV file (`text/csv`, UTF-8, a header row). Columns: `customer_id`
    (required), `name`, `parent_customer_id`, `collector`, `owning_team`, `segment`, `language`, `region`,
    `credit_limit`, `credit_currency`, `dunning_contacts` (`Name <mail>; mail; cc:mail`). An empty cell keeps the
    value. The whole file is checked first: any problem answers 422 with every `{line, field, detail}` and
    nothing is imported. Each changed row is audited and announced (account.updated)."""
    content = await request.body()
    if len(content) > MAX_FILE_BYTES:
        raise ValidationFailed("the file is larger than 5 MiB",
                               errors=[{"line": 0, "field": "", "detail": "too large"}])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("the file is not UTF-8", errors=[{"line": 0, "field": "", "detail": str(exc)}]) from exc
    return await imports.run(tx, text=text)


@router.get("/{customer_id}", response_model=AccountRead, responses=problem_responses(401, 403, 404, 422))
async def get_account(customer_id: CustomerId, response: Response, tx: TxDep, _principal: ArReader) -> AccountRead:
    """One account of the master, with its ETag."""
    account = await service.get(tx, customer_id)
    set_etag(response, etag=service.etag(account))
    return AccountRead.model_validate(account)


@router.put("/{customer_id}", response_model=AccountRead,
            responses=problem_responses(401, 403, 404, 412, 422, 428))
async def put_account(customer_id: CustomerId, data: AccountWrite, response: Response, tx: TxDep,
                      _principal: AccountEditor, if_match: IfMatchDep) -> AccountRead:
    """Create or change an account (fields left out keep their value). An existing account needs `If-Match`.
    AR supervisors and integrations change everything; collectors and vendor agents (their team's accounts) only
    the dunning contacts and language. A new owning team moves the customer's open items and unapplied cash; the
    parent must exist and must not make a cycle. Audited; account.updated."""
    account = await service.lock(tx, customer_id)
    if account.version > 0:
        if_match(service.etag(account))
    account = await service.put(tx, account, data=data)
    set_etag(response, etag=service.etag(account))
    return AccountRead.model_validate(account)
