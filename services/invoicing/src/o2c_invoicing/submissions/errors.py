"""Submission and callback errors (problem+json)."""

from __future__ import annotations

from o2c_common.errors import DomainError, NotFound, Unauthorized, UnprocessableEntity


class PortalDeliveryFailed(DomainError):
    status = 502
    type = "portal-delivery-failed"
    title = "The invoice could not be delivered to its channel"


class SubmissionNotFound(NotFound):
    type = "submission-not-found"
    title = "No submission with this portal reference"


class UnknownPortalStatus(UnprocessableEntity):
    type = "unknown-portal-status"
    title = "Unknown portal status code"


class SignatureMissing(Unauthorized):
    type = "signature-missing"
    title = "Portal callback signature missing"


class SignatureInvalid(Unauthorized):
    type = "signature-invalid"
    title = "Portal callback signature does not match"


class SignatureStale(Unauthorized):
    type = "signature-stale"
    title = "Portal callback timestamp outside the tolerance"
