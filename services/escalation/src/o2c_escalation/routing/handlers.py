"""Routing's reaction to collections' account master: which team owns a customer's account."""

from __future__ import annotations

from o2c_common.events import Event
from o2c_common.events.contracts.collections import AccountUpdated
from o2c_common.tx import Tx
from o2c_escalation.routing import service


async def on_account_updated_remember_team(tx: Tx, event: Event[AccountUpdated]) -> None:
    await service.remember_account(tx, event.data)
