from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.audit import record_audit
from o2c_common.auth import Principal
from o2c_common.errors import NotFound
from o2c_escalation.routing import repository
from o2c_escalation.routing.models import RoutingRule
from o2c_escalation.routing.schemas import RoutingRuleCreate, RoutingRuleRead

TIERS = ("L1", "L2", "L3")


def next_tier(tier: str) -> str | None:
    index = TIERS.index(tier)
    return TIERS[index + 1] if index + 1 < len(TIERS) else None


async def l1_team(session: AsyncSession, *, owning_team: str | None, category: str, region: str | None,
                  customer_id: str | None, severity: str, default: str) -> str:
    """L1 is the team owning the account when known; else the first matching routing rule; else the desk."""
    if owning_team:
        return owning_team
    rule = await repository.first_match(session, category=category, region=region, customer_id=customer_id,
                                        severity=severity)
    return rule.team if rule is not None else default


async def create(session: AsyncSession, *, data: RoutingRuleCreate, actor: Principal) -> RoutingRule:
    rule = await repository.add(session, RoutingRule(id=uuid.uuid4(), **data.model_dump()))
    await record_audit(session, actor=actor, action="routing_rule.created", entity_type="routing_rule",
                       entity_id=rule.id, after=data)
    return rule


async def delete(session: AsyncSession, *, rule_id: uuid.UUID, actor: Principal) -> None:
    rule = await repository.get(session, rule_id=rule_id)
    if rule is None:
        raise NotFound(f"routing rule {rule_id} does not exist")
    before = RoutingRuleRead.model_validate(rule)
    await repository.delete(session, rule)
    await record_audit(session, actor=actor, action="routing_rule.deleted", entity_type="routing_rule",
                       entity_id=rule_id, before=before)


async def list_all(session: AsyncSession) -> list[RoutingRule]:
    return await repository.list_all(session)
