from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.disputes import service
from o2c_common.events import Event
from o2c_common.events.contracts.invoicing import InvoicePortalRejected
from o2c_common.outbox import Outbox


@dataclass(frozen=True)
class DisputeHandlers:
    outbox: Outbox

    async def on_invoice_portal_rejected_open_dispute_when_charge_contested(self, session: AsyncSession,
                                                                            event: Event) -> None:
        assert isinstance(event.data, InvoicePortalRejected)
        await service.open_from_portal_rejection(session, fact=event.data, outbox=self.outbox)
