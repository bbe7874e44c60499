"""Hypercare windows: a newly transitioned team or process runs on tighter SLA targets, with more sampling and a
daily review, until the window ends."""

from __future__ import annotations

import uuid
from datetime import timedelta

from o2c_common.entities import load_visible
from o2c_common.errors import Conflict
from o2c_common.events.contracts.workforce import HypercareChanged
from o2c_common.tx import Tx
from o2c_workforce.hypercare import repository
from o2c_workforce.hypercare.models import HypercareReview, HypercareWindow
from o2c_workforce.hypercare.schemas import ReviewCreate, ReviewRead, WindowCreate, WindowRead
from o2c_workforce.org import repository as org_repository
from o2c_workforce.org.service import invalid, scoped_team


async def open_window(tx: Tx, data: WindowCreate) -> WindowRead:
    if await org_repository.team_by_code(tx.session, data.team) is None:
        raise invalid("/team", f"no team {data.team!r}")
    window = await repository.add(tx.session, HypercareWindow(
        id=uuid.uuid4(), owning_team=data.team, process=data.process, starts_on=data.starts_on, ends_on=data.ends_on,
        target_minutes={str(k): v for k, v in data.target_minutes.items()}, sampling_boost=data.sampling_boost,
        notes=data.notes, created_by=tx.actor.subject))
    read = _read(tx, window, [])
    await tx.audit("hypercare.opened", entity_type="hypercare_window", entity_id=window.id, after=read)
    await _emit(tx, window, "created")
    return read


async def review(tx: Tx, window_id: uuid.UUID, data: ReviewCreate) -> WindowRead:
    window = await load_visible(tx, HypercareWindow, window_id, for_update=True, label="hypercare window")
    if not window.starts_on <= data.review_date <= window.ends_on:
        raise invalid("/review_date", f"the window runs from {window.starts_on} to {window.ends_on}")
    existing = await repository.reviews_of(tx.session, [window.id])
    if any(r.review_date == data.review_date for r in existing):
        raise Conflict(f"the window was reviewed on {data.review_date} already")
    row = await repository.add(tx.session, HypercareReview(id=uuid.uuid4(), window_id=window.id,
                                                           reviewer=tx.actor.subject, reviewed_at=tx.now(),
                                                           **data.model_dump()))
    await tx.audit("hypercare.reviewed", entity_type="hypercare_window", entity_id=window.id,
                   after=ReviewRead.model_validate(row))
    await _emit(tx, window, "reviewed")
    return _read(tx, window, [*existing, row])


async def close(tx: Tx, window_id: uuid.UUID) -> WindowRead:
    window = await load_visible(tx, HypercareWindow, window_id, for_update=True, label="hypercare window")
    if window.closed_at is not None:
        raise Conflict("the window is closed already")
    window.closed_at = tx.now()
    await tx.session.flush()
    await tx.audit("hypercare.closed", entity_type="hypercare_window", entity_id=window.id)
    await _emit(tx, window, "closed")
    return _read(tx, window, await repository.reviews_of(tx.session, [window.id]))


async def list_windows(tx: Tx, *, team: str | None) -> list[WindowRead]:
    windows = await repository.windows(tx.session, team=scoped_team(tx, team))
    reviews = await repository.reviews_of(tx.session, [w.id for w in windows])
    return [_read(tx, w, [r for r in reviews if r.window_id == w.id]) for w in windows]


def _read(tx: Tx, window: HypercareWindow, reviews: list[HypercareReview]) -> WindowRead:
    reviewed = {r.review_date for r in reviews}
    last = min(window.ends_on, tx.now().date(), (window.closed_at or tx.now()).date())
    days = [window.starts_on + timedelta(days=i) for i in range((last - window.starts_on).days + 1)]
    return WindowRead.model_validate(window).model_copy(update={
        "reviews": [ReviewRead.model_validate(r) for r in reviews],
        "missing_reviews": [d for d in days if d not in reviewed]})


async def _emit(tx: Tx, window: HypercareWindow, change: str) -> None:
    await tx.emit(HypercareChanged(window_id=window.id, team=window.owning_team, process=window.process,
                                   starts_on=window.starts_on, ends_on=window.ends_on, change=change,
                                   changed_at=tx.now()))


