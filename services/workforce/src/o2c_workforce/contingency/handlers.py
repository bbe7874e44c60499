"""Contingency plans invoked by other services' events: an escalation case opened, an SLA breached."""

from __future__ import annotations

from o2c_common.events import Event
from o2c_common.events.contracts.escalation import EscalationOpened
from o2c_common.events.contracts.kpi import SlaBreached
from o2c_common.text import measure
from o2c_common.tx import Tx
from o2c_workforce.contingency import service
from o2c_workforce.contingency.models import Trigger


async def on_escalation_opened_invoke_contingency(tx: Tx, event: Event[EscalationOpened]) -> None:
    case = event.data
    await service.invoke_matching(tx, trigger=Trigger.ESCALATION_OPENED, value=case.category,
                                  source_key=f"escalation:{case.case_id}",
                                  reason=f"Escalation {case.case_number} ({case.severity}, {case.category}): "
                                         f"{case.title}")


async def on_sla_breached_invoke_contingency(tx: Tx, event: Event[SlaBreached]) -> None:
    breach = event.data
    scope = f" for {breach.scope_value}" if breach.scope_value else ""
    await service.invoke_matching(tx, trigger=Trigger.SLA_BREACHED, value=breach.metric,
                                  source_key=f"sla:{breach.breach_key}",
                                  reason=f"SLA {breach.sla_name}{scope} breached: "
                                         f"{measure(breach.actual, breach.unit)} against a target of "
                                         f"{measure(breach.target, breach.unit)}")
