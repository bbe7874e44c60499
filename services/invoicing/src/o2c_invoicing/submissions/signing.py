"""HMAC-SHA256 signatures of portal callbacks: ``sha256=<hex>`` over ``"<timestamp>.<body>"``.

The portal (or the simulator) signs; the callback endpoint verifies with the shared secret and refuses
signatures older or newer than the tolerance (replays)."""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Portal-Timestamp"
SIGNATURE_HEADER = "X-Portal-Signature"
# The portal a callback comes from (its id: host[:port] of its URL), when it signs with a secret of its own.
PORTAL_HEADER = "X-Portal-Id"


def signature(secret: str, *, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_headers(secret: str, *, timestamp: int, body: bytes, portal: str | None = None) -> dict[str, str]:
    headers = {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature(secret, timestamp=timestamp, body=body),
               "Content-Type": "application/json"}
    if portal is not None:
        headers[PORTAL_HEADER] = portal
    return headers


def valid(secret: str, *, timestamp: int, body: bytes, given: str) -> bool:
    return hmac.compare_digest(signature(secret, timestamp=timestamp, body=body), given)
