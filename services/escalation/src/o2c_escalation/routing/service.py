from __future__ import annotations

import uuid

from o2c_common.errors import NotFound
from o2c_common.events.contracts.collections import AccountUpdated
from o2c_common.tx import Tx
from o2c_escalation.routing import repository
from o2c_escalation.routing.models import RoutingRule
from o2c_escalation.routing.schemas import RoutingRuleCreate, RoutingRuleRead


async def l1_team(tx: Tx, *, owning_team: str | None, category: str, region: str | None,
                  customer_id: str | None, severity: str, default: str) -> str:
    """L1 is the team the fact names; else the team owning the customer's account (collections' account master);
    else the first matching routing rule; else the desk."""
    if owning_team:
        return owning_team
    if customer_id:
        account_team = await repository.account_team(tx.session, customer_id=customer_id)
        if account_team:
            return account_team
    rule = await repository.first_match(tx.session, category=category, region=region, customer_id=customer_id,
                                        severity=severity)
    return rule.team if rule is not None else default


async def create(tx: Tx, *, data: RoutingRuleCreate) -> RoutingRule:
    rule = await repository.add(tx.session, RoutingRule(id=uuid.uuid4(), **data.model_dump()))
    await tx.audit("routing_rule.created", entity_type="routing_rule", entity_id=rule.id, after=data)
    return rule


async def delete(tx: Tx, *, rule_id: uuid.UUID) -> None:
    rule = await repository.get(tx.session, rule_id=rule_id)
    if rule is None:
        raise NotFound(f"routing rule {rule_id} does not exist")
    before = RoutingRuleRead.model_validate(rule)
    await repository.delete(tx.session, rule)
    await tx.audit("routing_rule.deleted", entity_type="routing_rule", entity_id=rule_id, before=before)


async def list_all(tx: Tx) -> list[RoutingRule]:
    return await repository.list_all(tx.session)


async def remember_account(tx: Tx, fact: AccountUpdated) -> bool:
    """Keep the account's owning team and collector (newest account version wins; replays change nothing)."""
    return await repository.remember_account(tx.session, {
        "customer_id": fact.customer_id, "owning_team": fact.owning_team, "collector": fact.collector,
        "version": fact.account_version, "updated_at": fact.updated_at})
