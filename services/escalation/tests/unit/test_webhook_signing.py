from __future__ import annotations

import hashlib
import hmac

from o2c_escalation.webhooks.signing import backoff_seconds, sign, verify


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = b'{"id":"1"}'
    header = sign(secret="s3cret", timestamp=1_700_000_000, body=body)
    expected = hmac.new(b"s3cret", b'1700000000.{"id":"1"}', hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert verify(secret="s3cret", header=header, body=body, now=1_700_000_100)


def test_verification_refuses_other_secret_body_old_timestamp_and_garbage() -> None:
    body = b"{}"
    header = sign(secret="a", timestamp=1000, body=body)
    assert not verify(secret="b", header=header, body=body, now=1000)
    assert not verify(secret="a", header=header, body=b"{ }", now=1000)
    assert not verify(secret="a", header=header, body=body, now=1000 + 301)
    assert not verify(secret="a", header="nonsense", body=body, now=1000)


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_seconds(attempts=n, base=30, maximum=600) for n in range(1, 7)] == [30, 60, 120, 240, 480, 600]
