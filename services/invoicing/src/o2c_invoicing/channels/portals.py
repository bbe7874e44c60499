"""Which portal a billing profile's documents go to, and whether it may be called (the SSRF guard).

A portal is identified by the host of its URL, with the port when the URL names one (``portal.example.com``,
``127.0.0.1:8010``): the id a submission records, the key of its callback secret in
``INVOICING_PORTAL_CALLBACK_SECRETS`` and the ``X-Portal-Id`` its callbacks carry. Whether it may be called is
``InvoicingSettings.portal_policy()``: its host must be allow-listed, and a non-public address is allowed only
for hosts listed as private; the app's HTTP client (``o2c_common.egress.pinned_client``) connects to the address
it checked."""

from __future__ import annotations

from urllib.parse import urlsplit

from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.invoices.errors import PortalRulesViolated
from o2c_invoicing.profiles.models import BillingProfile


def portal_id(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{parts.port}" if parts.port else host


def url_of(profile: BillingProfile | None, settings: InvoicingSettings) -> str:
    """The portal URL of the customer (its profile's, else the default portal's)."""
    return (profile.portal_url if profile is not None else None) or settings.portal_base_url


def refusal(url: str, settings: InvoicingSettings) -> str | None:
    """Why ``url`` may not be called (not allow-listed, a non-public address); None when it may."""
    return settings.portal_policy().url_refusal(url)


def checked_url(profile: BillingProfile, settings: InvoicingSettings) -> str:
    """The profile's portal URL, refused (422 ``portal-rules-violated``, rule ``portal_url``) when it may not be
    called: the profile is mended, not retried."""
    url = url_of(profile, settings)
    why = refusal(url, settings)
    if why is not None:
        raise PortalRulesViolated([{"rule": "portal_url", "pointer": "#/portal_url",
                                    "detail": f"the portal URL may not be called: {why}"}])
    return url
