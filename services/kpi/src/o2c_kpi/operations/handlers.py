"""Consumer group ``kpi-operations``: the facts the reviews' operations sections read (quality reviews, teams and
vendors, portal rejections, disputes, escalation cases and their corrective actions, capacity outlooks), a row
each, gathered by :mod:`o2c_kpi.operations.service` and written when the unit of work commits. A group of its own,
so that the ``kpi`` facts (and their rebuild) are not touched by it."""

from __future__ import annotations

from o2c_common.events import Event
from o2c_common.events.contracts import collections as col, escalation as esc, invoicing as inv, workforce as wf
from o2c_common.inbox import Handlers
from o2c_common.tx import Tx
from o2c_kpi.facts.rebuild import Projection
from o2c_kpi.operations import service
from o2c_kpi.operations.repository import READ_MODELS

CONSUMER_GROUP = "kpi-operations"


async def on_vendor_changed_name_vendor(tx: Tx, event: Event[wf.VendorChanged]) -> None:
    await service.record_vendor(tx, event.data)


async def on_team_changed_place_team_under_vendor(tx: Tx, event: Event[wf.TeamChanged]) -> None:
    await service.record_team(tx, event.data)


async def on_quality_reviewed_record_score_and_defects(tx: Tx, event: Event[wf.QualityReviewed]) -> None:
    await service.record_quality_review(tx, event.data)


async def on_portal_rejection_count_reason(tx: Tx, event: Event[inv.InvoicePortalRejected]) -> None:
    await service.record_rejection(tx, event.data)


async def on_dispute_opened_record_dispute(tx: Tx, event: Event[col.DisputeOpened]) -> None:
    await service.record_dispute_opened(tx, event.data)


async def on_dispute_resolved_record_root_cause(tx: Tx, event: Event[col.DisputeResolved]) -> None:
    await service.record_dispute_resolved(tx, event.data)


async def on_escalation_opened_add_open_case(tx: Tx, event: Event[esc.EscalationOpened]) -> None:
    await service.record_case_opened(tx, event.data)


async def on_escalation_moved_route_case(
        tx: Tx, event: Event[esc.EscalationAcknowledged | esc.EscalationEscalated]) -> None:
    await service.record_case_moved(tx, event.data)


async def on_escalation_resolved_close_case(tx: Tx, event: Event[esc.EscalationResolved]) -> None:
    await service.record_case_resolved(tx, event.data)


async def on_escalation_reopened_reopen_case(tx: Tx, event: Event[esc.EscalationReopened]) -> None:
    await service.record_case_reopened(tx, event.data)


async def on_case_action_changed_track_action(tx: Tx, event: Event[esc.CaseActionChanged]) -> None:
    await service.record_case_action(tx, event.data)


async def on_capacity_outlook_published_keep_latest(tx: Tx, event: Event[wf.CapacityOutlookPublished]) -> None:
    await service.record_capacity_outlook(tx, event.data)


HANDLERS: Handlers = {
    wf.VendorChanged: on_vendor_changed_name_vendor,
    wf.TeamChanged: on_team_changed_place_team_under_vendor,
    wf.QualityReviewed: on_quality_reviewed_record_score_and_defects,
    inv.InvoicePortalRejected: on_portal_rejection_count_reason,
    col.DisputeOpened: on_dispute_opened_record_dispute,
    col.DisputeResolved: on_dispute_resolved_record_root_cause,
    esc.EscalationOpened: on_escalation_opened_add_open_case,
    esc.EscalationAcknowledged: on_escalation_moved_route_case,
    esc.EscalationEscalated: on_escalation_moved_route_case,
    esc.EscalationResolved: on_escalation_resolved_close_case,
    esc.EscalationReopened: on_escalation_reopened_reopen_case,
    esc.CaseActionChanged: on_case_action_changed_track_action,
    wf.CapacityOutlookPublished: on_capacity_outlook_published_keep_latest,
}

PROJECTION = Projection(group_id=CONSUMER_GROUP, handlers=HANDLERS, read_models=READ_MODELS)
"""What ``o2c kpi rebuild`` replays for this group."""
