"""A verified token is remembered: checked again only after its expiry, the cache's time or eviction."""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from o2c_common.auth import JWTVerifier, mint_token, tokens
from o2c_common.errors.problems import Unauthorized

SECRET = "unit-test-secret-that-is-long-enough-for-hs256"


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tokens whose signature and claims were checked, in order."""
    seen: list[str] = []
    real = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(tokens.jwt, "decode", counting)
    return seen


def verifier() -> JWTVerifier:
    return JWTVerifier(algorithms=["HS256"], secret=SECRET, issuer="o2c", audience="o2c", leeway_s=30)


def at(monkeypatch: pytest.MonkeyPatch, seconds_from_now: float) -> None:
    later = time.time() + seconds_from_now
    monkeypatch.setattr(tokens.time, "time", lambda: later)


async def test_a_token_that_passed_is_not_checked_again_until_it_expires(decoded: list[str]) -> None:
    check = JWTVerifier(algorithms=["HS256"], secret=SECRET, issuer="o2c", audience="o2c", leeway_s=0)
    expires = math.ceil(time.time()) + 1  # a JWT's exp is whole seconds: 1 to 2 s from now
    bearer = mint_token(secret=SECRET, subject="alice", roles=["collector"], team="bpo-east", ttl=timedelta(seconds=5),
                        now=datetime.fromtimestamp(expires - 5, UTC))
    first, second = await check.verify(bearer), await check.verify(bearer)
    assert first == second and first.subject == "alice" and first.team == "bpo-east"
    assert decoded == [bearer]

    await asyncio.sleep(expires + 0.05 - time.time())  # past its exp: PyJWT's own clock must say so too
    with pytest.raises(Unauthorized, match="expired"):
        await check.verify(bearer)
    assert decoded == [bearer, bearer]


async def test_a_long_lived_token_is_checked_again_after_the_cache_time(
        decoded: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    check = verifier()
    bearer = mint_token(secret=SECRET, subject="alice", roles=["collector"], ttl=timedelta(hours=8))
    await check.verify(bearer)
    at(monkeypatch, tokens.VERIFIED_CACHE_TTL_S - 5)
    await check.verify(bearer)
    assert len(decoded) == 1
    at(monkeypatch, tokens.VERIFIED_CACHE_TTL_S + 1)
    await check.verify(bearer)
    assert len(decoded) == 2


async def test_a_refused_token_is_never_remembered(decoded: list[str]) -> None:
    check = verifier()
    forged = mint_token(secret=SECRET + "-not", subject="mallory", roles=["admin"])
    for _ in range(2):
        with pytest.raises(Unauthorized, match="signature"):
            await check.verify(forged)
    assert decoded == [forged, forged]


async def test_the_cache_is_bounded_and_forgets_the_oldest_first(decoded: list[str]) -> None:
    check = verifier()
    bearers = [mint_token(secret=SECRET, subject=f"user-{i}", roles=["collector"])
               for i in range(tokens.VERIFIED_CACHE_SIZE + 1)]
    for bearer in bearers:
        await check.verify(bearer)
    decoded.clear()
    await check.verify(bearers[-1])
    await check.verify(bearers[1])
    assert decoded == []
    assert (await check.verify(bearers[0])).subject == "user-0"
    assert decoded == [bearers[0]]
