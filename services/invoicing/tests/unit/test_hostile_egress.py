"""The SSRF policy's decisions (o2c_common.egress), without the network: allow-list rules and the addresses that
count as inside."""

from __future__ import annotations

import ipaddress

import pytest

from o2c_common.egress import EgressPolicy, public
from o2c_invoicing.config import InvoicingSettings

POLICY = EgressPolicy.of(allowed=["*.coupahost.com", "portal.example.com:8443", "[::1]:8010"],
                         private=["[::1]:8010"])


@pytest.mark.parametrize(("url", "why"), [
    ("https://acme.coupahost.com/invoices", None),
    ("https://coupahost.com/invoices", "coupahost.com:443 is not an allowed host"),  # *. is subdomains only
    ("https://evilcoupahost.com/", "evilcoupahost.com:443 is not an allowed host"),
    ("https://portal.example.com:8443/", None),
    ("https://portal.example.com/", "portal.example.com:443 is not an allowed host"),  # another port
    ("http://[::1]:8010/", None),  # allow-listed, and listed as private
    ("ftp://acme.coupahost.com/", "ftp scheme: only http and https"),
    ("http://ACME.CoupaHost.com./x", None),  # case and the trailing dot do not matter
])
def test_allow_list_rules(url: str, why: str | None) -> None:
    assert POLICY.url_refusal(url) == why


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                                     "100.64.0.1", "0.0.0.0", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1",
                                     "::ffff:169.254.169.254", "224.0.0.1", "198.18.0.1",
                                     "64:ff9b::a00:1", "64:ff9b::7f00:1", "::a00:1", "2002:a9fe:a9fe::1",
                                     "64:ff9b:1::7f00:1", "::ffff:0:7f00:1"])
def test_inside_addresses_are_not_public(address: str) -> None:
    assert not public(ipaddress.ip_address(address))
    assert POLICY.address_refusal("acme.coupahost.com", 443, ipaddress.ip_address(address)) is not None


def test_public_addresses_are() -> None:
    assert public(ipaddress.ip_address("93.184.215.14")) and public(ipaddress.ip_address("2606:4700::1111"))
    assert public(ipaddress.ip_address("64:ff9b::5db8:d70e"))  # NAT64 of 93.184.215.14


def test_the_default_allow_list_is_the_simulator_outside_prod_and_nothing_but_the_base_url_in_prod() -> None:
    dev = InvoicingSettings(environment="test").portal_policy()
    assert dev.url_refusal("http://127.0.0.1:8010/") is None and dev.url_refusal("http://localhost:9/") is None
    assert dev.url_refusal("http://10.0.0.5/") == "10.0.0.5:80 is not an allowed host"
    prod = InvoicingSettings(environment="prod", jwt_secret="q" * 40,
                             portal_base_url="https://portal.internal.example:9443").portal_policy()
    assert prod.url_refusal("http://127.0.0.1:8010/") == "127.0.0.1:8010 is not an allowed host"
    assert prod.url_refusal("https://portal.internal.example:9443/") is None  # the configured default portal
    assert prod.url_refusal("https://portal.internal.example/") is not None  # on its own port only
