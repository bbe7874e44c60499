"""The account master: collector, dunning contacts, language, segment, parent/child group, owning team, region and
credit limit of each customer, written by the API and by a CSV import; every change is audited and announced
(``account.updated`` with the account's version). A change of owning team moves the customer's open items and its
payments with unapplied cash to the new team in the same transaction."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from o2c_collections.accounts import repository as accounts
from o2c_collections.accounts.models import Account
from o2c_collections.master import repository
from o2c_collections.master.schemas import AccountRead, AccountWrite
from o2c_common.auth import Principal, Role, ensure_team_access
from o2c_common.errors import Forbidden, NotFound, UnprocessableEntity
from o2c_common.events.contracts.collections import AccountUpdated
from o2c_common.http import Page, PageRequest, make_etag
from o2c_common.tx import Tx

# what a collector or a vendor agent may change on an account they see: who is dunned, and in which language
CONTACT_FIELDS = frozenset({"dunning_contacts", "language"})


def etag(account: Account) -> str:
    return make_etag(entity_id=account.customer_id, version=account.version)


def may_edit_everything(principal: Principal) -> bool:
    return principal.is_admin or principal.has_role(Role.AR_SUPERVISOR) or principal.has_role(Role.INTEGRATION)


async def get(tx: Tx, customer_id: str) -> Account:
    """The customer's account (404 when the master has none; 403 when it is another team's)."""
    account = await accounts.get(tx.session, customer_id=customer_id)
    if account is None or account.version == 0:
        raise NotFound(f"customer {customer_id} has no account in the master")
    ensure_team_access(tx.actor, owning_team=account.owning_team)
    return account


async def lock(tx: Tx, customer_id: str) -> Account:
    """The customer's account locked for a change; created (version 0) when it has none yet."""
    account = await accounts.lock_or_create(tx.session, customer_id=customer_id)
    if account.version > 0 or not may_edit_everything(tx.actor):
        ensure_team_access(tx.actor, owning_team=account.owning_team)
    return account


async def list_page(tx: Tx, *, page: PageRequest, collector: str | None, team: str | None, parent: str | None,
                    segment: str | None) -> Page[AccountRead]:
    return await repository.list_page(tx.session, page=page, collector=collector, team=team, parent=parent,
                                      segment=segment)


def changes_of(account: Account, data: AccountWrite) -> dict[str, Any]:
    """The fields ``data`` sets to another value than the account has (JSON values; the credit limit a Decimal)."""
    given = data.model_dump(exclude_unset=True, mode="json")
    if "credit_limit" in given:
        given["credit_limit"] = data.credit_limit
    return {key: value for key, value in given.items() if value != getattr(account, key)}


async def check_parents(tx: Tx, links: Mapping[str, str | None], *,
                        created: Collection[str] = ()) -> dict[str, str]:
    """``links`` (customer → new parent) checked against the master: each parent must exist (in the master, among
    ``links`` or ``created``) and no chain may come back to where it started. Returns the problems by customer."""
    known = dict(await repository.parents(tx.session, customer_ids=sorted(
        {*links, *(p for p in links.values() if p)})))
    known.update(links)
    problems = {}
    for customer, parent in links.items():
        if parent is None:
            continue
        if parent not in known and parent not in created:
            problems[customer] = f"parent {parent} has no account"
            continue
        seen: set[str] = {customer}
        current: str | None = parent
        while current is not None:
            if current in seen:
                problems[customer] = f"parent {parent} would make a cycle: {parent} is in {customer}'s group below it"
                break
            seen.add(current)
            if current not in known:
                known.update(await repository.parents(tx.session, customer_ids=[current]))
            current = known.get(current)
    return problems


async def put(tx: Tx, account: Account, *, data: AccountWrite) -> Account:
    """``data`` written on the locked ``account``; audited and announced when anything changed."""
    changes = changes_of(account, data)
    if not may_edit_everything(tx.actor) and set(changes) - CONTACT_FIELDS:
        raise Forbidden(f"you may change the dunning contacts and language only, not "
                        f"{', '.join(sorted(set(changes) - CONTACT_FIELDS))}", type="account-field-denied",
                        title="Field reserved to AR supervisors")
    if "parent_customer_id" in changes:
        problem = (await check_parents(tx, {account.customer_id: changes["parent_customer_id"]})).get(
            account.customer_id)
        if problem:
            raise UnprocessableEntity(problem, type="invalid-parent", title="Invalid parent account")
    await apply(tx, account, changes, now=tx.now())
    return account


async def apply(tx: Tx, account: Account, changes: dict[str, Any], *, now: datetime) -> bool:
    """Writes ``changes`` (checked) on the locked ``account``: the version rises, the team moves its open items and
    unapplied cash, the change is audited and announced. False when there was nothing to change on an account."""
    new = account.version == 0
    if not changes and not new:
        return False
    before = {key: getattr(account, key) for key in changes}
    previous_team = account.owning_team
    for key, value in changes.items():
        setattr(account, key, value)
    account.version += 1
    account.updated_at = now
    await tx.session.flush()
    moved = (0, 0)
    if "owning_team" in changes and account.owning_team != previous_team:
        moved = await repository.move_team(tx.session, customer_id=account.customer_id, team=account.owning_team)
    await tx.emit(AccountUpdated(
        customer_id=account.customer_id, name=account.name, parent_customer_id=account.parent_customer_id,
        collector=account.collector, owning_team=account.owning_team,
        previous_owning_team=previous_team if "owning_team" in changes else None, segment=account.segment,
        language=account.language, credit_limit=account.credit_limit, credit_currency=account.credit_currency,
        account_version=account.version, updated_by=tx.actor.subject, updated_at=now))
    await tx.audit("account.created" if new else "account.updated", entity_type="account",
                   entity_id=account.customer_id, before=before or None,
                   after={**changes, **({"moved_open_items": moved[0], "moved_payments": moved[1]}
                                        if moved != (0, 0) else {})})
    return True
