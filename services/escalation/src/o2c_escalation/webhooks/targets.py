"""Where webhooks may go (an SSRF guard): public addresses only, unless the deployment allows private networks.

Checked twice: when a subscription is created (an address or ``localhost`` in the URL is refused at once) and
before every delivery (the host name is resolved and every address it resolves to must be public), so a name
that later points inside the network is caught when it matters. A resolution changing between the check and
the connection (DNS rebinding within milliseconds) is not covered; an egress proxy or NetworkPolicy is.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class TargetNotAllowed(Exception):
    """The URL points at a loopback, private, link-local or otherwise non-public address."""


def literal_refusal(url: str) -> str | None:
    """Why a URL naming an address (or localhost) may not receive webhooks; None when it names a host."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return f"{host} is this machine"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return None if address.is_global else f"{host} is not a public address"


async def check(url: str) -> None:
    """Raise TargetNotAllowed unless every address the URL's host resolves to is public."""
    refusal = literal_refusal(url)
    if refusal is not None:
        raise TargetNotAllowed(refusal)
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise TargetNotAllowed(f"{host} does not resolve: {exc}") from exc
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        if not address.is_global:
            raise TargetNotAllowed(f"{host} resolves to {address}, not a public address")
