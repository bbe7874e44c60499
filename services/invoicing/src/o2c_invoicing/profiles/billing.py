"""On-time invoicing: the latest issue date a customer's billing cadence allows (pure)."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum


class BillingCadence(StrEnum):
    """on_delivery: bill the delivery (requested issue date) within the lag; monthly: by the end of the month of
    the service (plus the lag); service_period_end: within the lag after the service period ends."""

    ON_DELIVERY = "on_delivery"
    MONTHLY = "monthly"
    SERVICE_PERIOD_END = "service_period_end"


def month_end(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def billing_deadline(cadence: str | None, lag_days: int | None, *, service_period_end: date | None,
                     requested_issue_date: date | None, prepared_on: date) -> date | None:
    """None when the customer has no cadence (the invoice then counts in no on-time rate)."""
    if cadence is None:
        return None
    lag = timedelta(days=lag_days or 0)
    delivered = requested_issue_date or prepared_on
    if cadence == BillingCadence.MONTHLY:
        return month_end(service_period_end or delivered) + lag
    if cadence == BillingCadence.SERVICE_PERIOD_END:
        return (service_period_end or delivered) + lag
    return delivered + lag
