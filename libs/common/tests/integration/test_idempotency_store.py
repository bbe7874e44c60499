"""IdempotencyStore against real PostgreSQL: claims, completion in the effect's transaction, expiry,
takeover, concurrent duplicates."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from o2c_common.audit import record_audit
from o2c_common.db import Database, audit_log_table
from o2c_common.http import (
    Claim,
    IdempotencyKeyInProgress,
    IdempotencyKeyReused,
    IdempotencyStore,
    StoredResponse,
)

REQUEST = {"method": "POST", "path": "/cases", "request_hash": "hash-1"}
RESPONSE = StoredResponse(
    status=201, headers={"content-type": "application/json", "location": "/cases/1"}, body=b'{"id":1}'
)


async def audit_count(db: Database) -> int:
    async with db.unit_of_work() as session:
        return int((await session.execute(select(func.count()).select_from(audit_log_table))).scalar_one())


async def age_key(db: Database, *, key: str, by: timedelta) -> None:
    async with db.unit_of_work() as session:
        await session.execute(
            text("UPDATE idempotency_keys SET created_at = created_at - make_interval(secs => :secs) WHERE key = :key"),
            {"secs": by.total_seconds(), "key": key},
        )


async def claim(store: IdempotencyStore, key: str = "k1", principal: str = "alice", **overrides: str):
    return await store.claim(principal=principal, key=key, **{**REQUEST, **overrides})


async def complete_with_effect(store: IdempotencyStore, db: Database, claimed: Claim) -> None:
    async with db.unit_of_work() as session:
        await record_audit(session, actor="alice", action="case.opened", entity_type="case", entity_id="c1")
        await store.complete(session, claim=claimed, response=RESPONSE)


async def test_claim_complete_replay(pg_db: Database) -> None:
    store = IdempotencyStore(database=pg_db)
    claimed = await claim(store)
    assert isinstance(claimed, Claim)
    with pytest.raises(IdempotencyKeyInProgress):
        await claim(store)
    await complete_with_effect(store, pg_db, claimed)
    assert await claim(store) == RESPONSE
    assert await claim(store) == RESPONSE
    assert await audit_count(pg_db) == 1


async def test_other_request_with_same_key_is_refused(pg_db: Database) -> None:
    store = IdempotencyStore(database=pg_db)
    claimed = await claim(store)
    assert isinstance(claimed, Claim)
    with pytest.raises(IdempotencyKeyReused):
        await claim(store, request_hash="hash-2")
    await complete_with_effect(store, pg_db, claimed)
    with pytest.raises(IdempotencyKeyReused):
        await claim(store, request_hash="hash-2")


async def test_keys_are_scoped_per_principal(pg_db: Database) -> None:
    store = IdempotencyStore(database=pg_db)
    assert isinstance(await claim(store, principal="alice"), Claim)
    assert isinstance(await claim(store, principal="bob"), Claim)


async def test_completion_rolls_back_with_the_effect(pg_db: Database) -> None:
    store = IdempotencyStore(database=pg_db)
    claimed = await claim(store)
    assert isinstance(claimed, Claim)
    with pytest.raises(RuntimeError):
        async with pg_db.unit_of_work() as session:
            await record_audit(session, actor="alice", action="case.opened", entity_type="case", entity_id="c1")
            await store.complete(session, claim=claimed, response=RESPONSE)
            raise RuntimeError("commit never happens")
    assert await audit_count(pg_db) == 0
    with pytest.raises(IdempotencyKeyInProgress):  # not completed: still the in-progress claim
        await claim(store)
    assert await store.release(claimed) is True
    again = await claim(store)
    assert isinstance(again, Claim)


async def test_release_only_removes_in_progress_claims(pg_db: Database) -> None:
    store = IdempotencyStore(database=pg_db)
    claimed = await claim(store)
    assert isinstance(claimed, Claim)
    await complete_with_effect(store, pg_db, claimed)
    assert await store.release(claimed) is False
    assert await claim(store) == RESPONSE


async def test_concurrent_duplicates_have_exactly_one_winner(pg_db: Database) -> None:
    store = IdempotencyStore(database=pg_db)
    outcomes = await asyncio.gather(*(claim(store, key="race") for _ in range(8)), return_exceptions=True)
    winners = [o for o in outcomes if isinstance(o, Claim)]
    losers = [o for o in outcomes if isinstance(o, IdempotencyKeyInProgress)]
    assert len(winners) == 1, outcomes
    assert len(losers) == 7, outcomes


async def test_duplicate_waiting_on_an_uncommitted_completion_gets_409_then_replay(pg_db: Database) -> None:
    store = IdempotencyStore(database=pg_db, lock_timeout_ms=300)
    claimed = await claim(store)
    assert isinstance(claimed, Claim)
    async with pg_db.unit_of_work() as session:
        await store.complete(session, claim=claimed, response=RESPONSE)
        with pytest.raises(IdempotencyKeyInProgress):
            await asyncio.wait_for(claim(store), timeout=5)
    assert await claim(store) == RESPONSE


async def test_expired_key_is_new_again(pg_db: Database) -> None:
    store = IdempotencyStore(database=pg_db, ttl=timedelta(hours=24))
    claimed = await claim(store)
    assert isinstance(claimed, Claim)
    await complete_with_effect(store, pg_db, claimed)
    await age_key(pg_db, key="k1", by=timedelta(hours=25))
    fresh = await claim(store, request_hash="another-body")
    assert isinstance(fresh, Claim)
    assert fresh.token != claimed.token


async def test_stale_in_progress_claim_is_taken_over_and_the_slow_original_cannot_commit(pg_db: Database) -> None:
    store = IdempotencyStore(database=pg_db, in_progress_timeout=timedelta(seconds=60))
    slow = await claim(store)
    assert isinstance(slow, Claim)
    await age_key(pg_db, key="k1", by=timedelta(minutes=5))
    retry = await claim(store)
    assert isinstance(retry, Claim)
    with pytest.raises(IdempotencyKeyInProgress):
        await complete_with_effect(store, pg_db, slow)
    assert await audit_count(pg_db) == 0  # the slow attempt's effect was rolled back
    await complete_with_effect(store, pg_db, retry)
    assert await audit_count(pg_db) == 1
    assert await claim(store) == RESPONSE


async def test_stale_claim_with_other_body_is_still_refused(pg_db: Database) -> None:
    store = IdempotencyStore(database=pg_db)
    assert isinstance(await claim(store), Claim)
    await age_key(pg_db, key="k1", by=timedelta(minutes=5))
    with pytest.raises(IdempotencyKeyReused):
        await claim(store, request_hash="hash-2")


async def test_purge_expired(pg_db: Database) -> None:
    store = IdempotencyStore(database=pg_db)
    for key in ("old", "new"):
        assert isinstance(await claim(store, key=key), Claim)
    await age_key(pg_db, key="old", by=timedelta(days=2))
    assert await store.purge_expired() == 1
    with pytest.raises(IdempotencyKeyInProgress):
        await claim(store, key="new")
    assert isinstance(await claim(store, key="old"), Claim)


def test_in_progress_timeout_cannot_exceed_ttl() -> None:
    with pytest.raises(ValueError):
        IdempotencyStore(database=None, ttl=timedelta(seconds=1), in_progress_timeout=timedelta(seconds=2))  # type: ignore[arg-type]
