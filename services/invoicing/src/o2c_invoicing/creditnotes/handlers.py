"""Inbound events acting on credit notes: a credit requested by collections (a deduction or dispute settled)."""

from __future__ import annotations

from o2c_common.events import Event
from o2c_common.events.contracts.collections import CreditNoteRequested
from o2c_common.tx import Tx
from o2c_invoicing.creditnotes import service


async def on_credit_note_requested_issue_credit_note(tx: Tx, event: Event[CreditNoteRequested]) -> None:
    await service.issue_requested(tx.acting_as(f"system:{event.data.requested_by}"), event.data)
