"""Channel errors (problem+json)."""

from __future__ import annotations

from o2c_common.errors import DomainError


class PortalDeliveryFailed(DomainError):
    status = 502
    type = "portal-delivery-failed"
    title = "The invoice could not be delivered to its channel"
