"""The webhook sender, run by the worker: one batch of due deliveries per unit of work."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime, timedelta

import httpx

from o2c_common.tx import Transactions
from o2c_escalation.config import EscalationSettings
from o2c_escalation.webhooks import repository, targets
from o2c_escalation.webhooks.models import Attempt, Delivery, DeliveryStatus, Subscription
from o2c_escalation.webhooks.secrets import SecretBox, SecretsUnreadable
from o2c_escalation.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, backoff_seconds, sign

SENDER = "system:webhook-sender"


async def deliver_due(transactions: Transactions, *, settings: EscalationSettings, client: httpx.AsyncClient) -> int:
    """Send one batch of due deliveries; rows stay locked (SKIP LOCKED) until their outcome is stored."""
    async with transactions.begin(SENDER) as tx:
        claimed = await repository.claim_due(tx.session, now=tx.now(), limit=settings.webhook_batch_size)
        if not claimed:
            return 0
        box = SecretBox.of(settings)
        outcomes = await asyncio.gather(*(_post(client, d, s, settings, box) for d, s in claimed))
        for _, subscription in claimed:
            _reseal(subscription, box)
        for (delivery, _), attempt in zip(claimed, outcomes, strict=True):
            _record(delivery, attempt, settings=settings)
        await repository.add(tx.session, *outcomes)
        return len(claimed)


async def _post(client: httpx.AsyncClient, delivery: Delivery, subscription: Subscription,
                settings: EscalationSettings, box: SecretBox) -> Attempt:
    body = delivery.body.encode()
    timestamp = int(time.time())
    started = time.monotonic()
    try:
        secret = box.open(subscription.secret)
    except SecretsUnreadable as exc:
        return Attempt(delivery_id=delivery.id, attempted_at=datetime.now(UTC), status_code=None,
                       error=f"not signed: {exc}", duration_ms=0)
    headers = {
        "Content-Type": "application/cloudevents+json", SIGNATURE_HEADER: sign(secret=secret, timestamp=timestamp,
                                                                             body=body),
        TIMESTAMP_HEADER: str(timestamp), "X-O2C-Delivery-Id": str(delivery.id),
        "X-O2C-Event-Id": str(delivery.event_id), "X-O2C-Event-Type": delivery.event_type,
    }
    status_code: int | None = None
    error: str | None = None
    try:
        response = await targets.post(client, subscription.url, settings.webhook_policy(), content=body,
                                      headers=headers, timeout=settings.webhook_timeout_s)
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}: {response.text[:200]}"
    except targets.EgressRefused as exc:
        error = f"target not allowed: {exc}"[:500]
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    return Attempt(delivery_id=delivery.id, attempted_at=datetime.now(UTC), status_code=status_code, error=error,
                   duration_ms=int((time.monotonic() - started) * 1000))


def _reseal(subscription: Subscription, box: SecretBox) -> None:
    """A secret stored in clear (before encryption at rest) or sealed with a previous key: sealed with the current
    key now (written with this batch's outcomes)."""
    if not box.current(subscription.secret):
        with contextlib.suppress(SecretsUnreadable):
            subscription.secret = box.seal(box.open(subscription.secret))


def _record(delivery: Delivery, attempt: Attempt, *, settings: EscalationSettings) -> None:
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_error = attempt.status_code, attempt.error
    if attempt.error is None:
        delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, attempt.attempted_at
    elif delivery.attempts >= settings.webhook_max_attempts:
        delivery.status = DeliveryStatus.FAILED
    else:
        delay = backoff_seconds(attempts=delivery.attempts, base=settings.webhook_backoff_base_s,
                                maximum=settings.webhook_backoff_max_s)
        delivery.next_attempt_at = attempt.attempted_at + timedelta(seconds=delay)
