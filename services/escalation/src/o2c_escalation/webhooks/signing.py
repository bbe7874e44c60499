"""HMAC-SHA256 signatures of webhook deliveries (pure functions).

The signed message is ``"<timestamp>.<raw body>"``; the header is ``t=<timestamp>,v1=<hex digest>``.
Receivers recompute the digest with their secret, compare in constant time and refuse old timestamps.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-O2C-Signature"
TIMESTAMP_HEADER = "X-O2C-Timestamp"


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(*, secret: str, header: str, body: bytes, now: int, tolerance_s: int = 300) -> bool:
    """What a receiver does: the header's digest matches and its timestamp is recent."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = sign(secret=secret, timestamp=timestamp, body=body)
    return hmac.compare_digest(expected, header)


def backoff_seconds(*, attempts: int, base: float, maximum: float) -> float:
    """Exponential backoff after ``attempts`` failed attempts: base, 2·base, 4·base … capped at maximum."""
    return float(min(maximum, base * 2 ** max(attempts - 1, 0)))
