from __future__ import annotations

from o2c_collections.disputes import service
from o2c_common.events import Event
from o2c_common.events.contracts.invoicing import InvoicePortalRejected
from o2c_common.tx import Tx


async def on_invoice_portal_rejected_open_dispute_when_charge_contested(
        tx: Tx, event: Event[InvoicePortalRejected]) -> None:
    await service.open_from_portal_rejection(tx, fact=event.data)
