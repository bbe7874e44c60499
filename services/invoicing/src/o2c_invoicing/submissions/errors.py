"""Submission and callback errors (problem+json); delivery failures are the channels' (channels.errors)."""

from __future__ import annotations

from o2c_common.errors import NotFound, Unauthorized, UnprocessableEntity


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
