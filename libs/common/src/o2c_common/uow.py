"""The request's unit of work: one :class:`~o2c_common.tx.Tx` per request, committed at the edge.

``TxDep`` opens one transaction per request in the caller's name and commits it when the endpoint returned,
before the response is sent (``scope="function"``), so a failed commit becomes a 500 problem and a client never
sees a success that was not stored. Repositories flush; services never commit.

A route authenticated by something other than a bearer token (a portal's signed callback) names its actor
with :func:`tx_as`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from o2c_common.auth.dependencies import CurrentPrincipal
from o2c_common.tx import Transactions, Tx


def request_transactions(request: Request) -> Transactions:
    transactions: Transactions = request.app.state.transactions
    return transactions


async def request_tx(request: Request, principal: CurrentPrincipal) -> AsyncIterator[Tx]:
    async with request_transactions(request).begin(principal) as tx:
        yield tx


def tx_as(actor: str) -> Callable[[Request], AsyncIterator[Tx]]:
    """A request dependency whose unit of work is done in ``actor``'s name (``system:…``), with no bearer token."""

    async def system_tx(request: Request) -> AsyncIterator[Tx]:
        async with request_transactions(request).begin(actor) as tx:
            yield tx

    return system_tx


def tx_dependency(actor: str) -> Any:
    """``Annotated[Tx, ...]`` for :func:`tx_as`: ``CallbackTx = tx_dependency("system:portal")``."""
    return Annotated[Tx, Depends(tx_as(actor), scope="function")]


TxDep = Annotated[Tx, Depends(request_tx, scope="function")]
async def _transactions(request: Request) -> Transactions:
    return request_transactions(request)


TransactionsDep = Annotated[Transactions, Depends(_transactions)]
