"""Outbound HTTP to addresses that outside parties choose (customers' portals, webhook receivers): an SSRF guard.

An :class:`EgressPolicy` says which hosts may be called (an allow-list, or any host) and which of them may be
on a non-public address (loopback, private, link-local, shared, reserved, multicast). :func:`pinned_client`
returns an ``httpx.AsyncClient`` whose connections are opened by :class:`PinnedBackend`: the host name is
resolved once, every address it resolves to is checked, and the connection goes to the checked address itself
(TLS still verifies the certificate against, and sends SNI for, the host name). There is no second resolution
between the check and the connect, so a name that rebinds to an inside address after the check cannot be
reached. Redirects are not followed and proxy settings from the environment are ignored (a proxy would
resolve the name again). A refusal is :class:`EgressRefused`, an ``httpx.ConnectError``.

Allow-list entries: ``host`` (any port), ``host:port``, ``*.example.com`` (any subdomain), IPv6 as ``[::1]`` or
``[::1]:8010``; names are compared lower-case, without a trailing dot.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class EgressRefused(httpx.ConnectError):
    """The host is not allowed, or resolves to an address it may not use."""


def _normal(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


@dataclass(frozen=True)
class HostRule:
    host: str  # lower-case; "*.example.com" for subdomains
    port: int | None = None

    @classmethod
    def parse(cls, entry: str) -> HostRule:
        entry = entry.strip()
        if entry.startswith("["):  # [v6] or [v6]:port
            host, _, rest = entry[1:].partition("]")
            return cls(_normal(host), int(rest[1:]) if rest.startswith(":") else None)
        if entry.count(":") == 1:
            host, port = entry.split(":")
            return cls(_normal(host), int(port))
        return cls(_normal(entry))

    def matches(self, host: str, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.host.startswith("*."):
            return host.endswith(self.host[1:])
        return host == self.host


def _rules(entries: Iterable[str]) -> tuple[HostRule, ...]:
    return tuple(HostRule.parse(e) for e in entries if e.strip())


def default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


NAT64 = tuple(ipaddress.IPv6Network(prefix) for prefix in ("64:ff9b::/96", "64:ff9b:1::/48", "::ffff:0:0:0/96",
                                                            "::/96"))
"""IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64's well-known and local-use prefixes,
reachable where a NAT64 gateway is; SIIT's IPv4-translated and the IPv4-compatible addresses): judged by it."""


def public(address: IPAddress) -> bool:
    """A globally routable unicast address; an IPv6 address that carries an IPv4 address (mapped, NAT64, 6to4,
    IPv4-compatible) is judged by that address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        elif address.sixtofour is not None:
            address = address.sixtofour
        elif any(address in prefix for prefix in NAT64):
            address = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class EgressPolicy:
    """``allowed`` None: any host; ``private``: hosts that may be on non-public addresses; ``any_private``: every
    allowed host may (a development setting)."""

    allowed: tuple[HostRule, ...] | None = None
    private: tuple[HostRule, ...] = ()
    any_private: bool = False

    @classmethod
    def of(cls, *, allowed: Iterable[str] | None, private: Iterable[str] = (), any_private: bool = False,
           ) -> EgressPolicy:
        return cls(None if allowed is None else _rules(allowed), _rules(private), any_private)

    def host_refusal(self, host: str, port: int) -> str | None:
        """Why ``host:port`` may not be called at all; None when its host is allowed."""
        host = _normal(host)
        if not host:
            return "the URL names no host"
        if self.allowed is not None and not any(rule.matches(host, port) for rule in self.allowed):
            return f"{host}:{port} is not an allowed host"
        return None

    def address_refusal(self, host: str, port: int, address: IPAddress) -> str | None:
        """Why ``host`` may not be reached at ``address``; None when it may."""
        if public(address) or self.any_private:
            return None
        if any(rule.matches(_normal(host), port) for rule in self.private):
            return None
        return f"{_normal(host)} is at {address}, not a public address"

    def url_refusal(self, url: str) -> str | None:
        """Why ``url`` may not be called, judged without resolving it (scheme, host, a literal address)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return f"{parts.scheme or 'no'} scheme: only http and https"
        try:
            port = parts.port or default_port(parts.scheme)
        except ValueError:
            return "the URL's port is not a number"
        host = _normal(parts.hostname or "")
        refusal = self.host_refusal(host, port)
        if refusal is not None:
            return refusal
        if host == "localhost" or host.endswith(".localhost"):
            loopback = ipaddress.ip_address("127.0.0.1")
            return None if self.address_refusal(host, port, loopback) is None else f"{host} is this machine"
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return None  # a name: judged on the addresses it resolves to, when connecting
        return None if self.address_refusal(host, port, address) is None else f"{host} is not a public address"

    async def pinned_address(self, host: str, port: int) -> str:
        """The address to connect to: ``host`` resolved once, every address checked; EgressRefused otherwise."""
        refusal = self.host_refusal(host, port)
        if refusal is not None:
            raise EgressRefused(refusal)
        try:
            infos = await anyio.getaddrinfo(_normal(host), port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise EgressRefused(f"{_normal(host)} does not resolve: {exc}") from exc
        addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))
        if not addresses:
            raise EgressRefused(f"{_normal(host)} resolves to no address")
        for address in addresses:
            refusal = self.address_refusal(host, port, address)
            if refusal is not None:
                raise EgressRefused(refusal)
        return str(addresses[0])


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Opens each TCP connection to the address the policy checked (see the module's text)."""

    def __init__(self, policy: EgressPolicy, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.policy = policy
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,  # noqa: ASYNC109 - httpcore API
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        address = await self.policy.pinned_address(host, port)
        return await self.inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                            socket_options=socket_options)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,  # noqa: ASYNC109 - httpcore API
                                  socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        raise EgressRefused("unix sockets are not an allowed target")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over :class:`PinnedBackend` (no proxy from the environment)."""

    def __init__(self, policy: EgressPolicy, *, limits: httpx.Limits = httpx.Limits(max_connections=100)) -> None:
        super().__init__(trust_env=False, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False), max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
            network_backend=PinnedBackend(policy))


async def send_pinned(client: httpx.AsyncClient, method: str, url: str, policy: EgressPolicy, *,
                      keep_bytes: int = 64 * 1024, **kwargs: Any) -> httpx.Response:
    """One request through any client, to the address ``policy`` checked: the URL's host is resolved once here
    and the request goes to that address, with the name in ``Host`` and (https) as SNI and certificate name.
    Of the answer's body only the first ``keep_bytes`` are read (a receiver cannot fill the memory)."""
    refusal = policy.url_refusal(url)
    if refusal is not None:
        raise EgressRefused(refusal)
    target = httpx.URL(url)
    address = await policy.pinned_address(target.host, target.port or default_port(target.scheme))
    headers = {**dict(kwargs.pop("headers", None) or {}), "Host": target.netloc.decode("ascii")}
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    async with client.stream(method, target.copy_with(host=address), headers=headers, extensions=extensions,
                             **kwargs) as streamed:
        body = bytearray()
        async for chunk in streamed.aiter_bytes():
            body += chunk
            if len(body) >= keep_bytes:
                break
    kept = [(k, v) for k, v in streamed.headers.multi_items()
            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
    return httpx.Response(streamed.status_code, headers=kept, content=bytes(body[:keep_bytes]),
                          request=streamed.request)


def pinned_client(policy: EgressPolicy, **kwargs: Any) -> httpx.AsyncClient:
    """A client that reaches only what ``policy`` allows, on the addresses it checked; redirects not followed."""
    return httpx.AsyncClient(transport=PinnedTransport(policy), follow_redirects=False, trust_env=False, **kwargs)
