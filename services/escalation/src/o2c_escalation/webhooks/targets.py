"""Where webhooks may go (an SSRF guard): public addresses only, unless the deployment allows private networks
(``webhook_allow_private_targets``) or names the host in ``webhook_private_hosts``.

Checked when a subscription is created (an address or ``localhost`` in the URL is refused at once) and at every
delivery, where the host name is resolved once, every address it resolves to must be allowed, and the request
goes to that checked address (``o2c_common.egress.send_pinned``: the name travels in ``Host`` and as TLS SNI).
A name that rebinds to an inside address between the check and the connection therefore cannot be reached.
"""

from __future__ import annotations

from typing import Any

import httpx

from o2c_common.egress import EgressPolicy, EgressRefused, send_pinned

__all__ = ["EgressRefused", "post", "refusal"]


def refusal(url: str, policy: EgressPolicy) -> str | None:
    """Why a URL may not receive webhooks, judged without resolving it; None when it may."""
    return policy.url_refusal(url)


async def post(client: httpx.AsyncClient, url: str, policy: EgressPolicy, **kwargs: Any) -> httpx.Response:
    """POST to ``url`` on the address the policy checked (EgressRefused when there is none)."""
    return await send_pinned(client, "POST", url, policy, **kwargs)
