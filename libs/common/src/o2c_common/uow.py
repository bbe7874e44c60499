"""Request-side unit of work and the objects a router needs from the app's state.

``SessionDep`` opens one transaction per request and commits it when the endpoint returned, before
the response is sent (``scope="function"``), so a failed commit becomes a 500 problem and a client
never sees a success that was not stored. Repositories flush; services never commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.db.database import Database
from o2c_common.outbox.emit import Outbox


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    db: Database = request.app.state.db
    async with db.sessionmaker() as session, session.begin():
        yield session


def request_outbox(request: Request) -> Outbox:
    outbox: Outbox = request.app.state.outbox
    return outbox


SessionDep = Annotated[AsyncSession, Depends(request_session, scope="function")]
OutboxDep = Annotated[Outbox, Depends(request_outbox)]
