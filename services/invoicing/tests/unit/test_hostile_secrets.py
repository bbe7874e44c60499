"""Issue 13 item 14 (secrets and tokens): placeholder and short secrets refused in prod, the portal callback
secret without a default in prod and per portal, and a maximum token lifetime."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from o2c_common.auth.tokens import JWTVerifier, mint_token
from o2c_common.errors import Unauthorized
from o2c_common.settings import DEV_JWT_SECRET, ServiceSettings
from o2c_invoicing.config import DEV_CALLBACK_SECRET, InvoicingSettings
from o2c_invoicing.portal.service import authenticate
from o2c_invoicing.submissions.errors import SignatureInvalid, SignatureMissing
from o2c_invoicing.submissions.signing import signed_headers

STRONG = "q" * 40
PROD: dict[str, Any] = {"environment": "prod", "jwt_secret": STRONG}


@pytest.mark.parametrize("secret", [DEV_JWT_SECRET, "change-me", "CHANGE-ME-before-going-live-0123456789",
                                    "a-short-secret"])
def test_a_placeholder_or_short_jwt_secret_is_refused_in_prod(secret: str) -> None:
    with pytest.raises(ValidationError, match="jwt_secret is"):
        ServiceSettings(environment="prod", jwt_secret=secret)
    assert ServiceSettings(environment="dev", jwt_secret=secret).environment == "dev"  # a developer's machine


def test_the_portal_callback_secret_has_no_default_in_prod_and_must_be_real() -> None:
    assert InvoicingSettings(**PROD).portal_callback_secret is None
    dev = InvoicingSettings(environment="dev").portal_callback_secret
    assert dev is not None and dev.get_secret_value() == DEV_CALLBACK_SECRET
    for weak in (DEV_CALLBACK_SECRET, "change-me", "tiny"):
        with pytest.raises(ValidationError, match="portal_callback_secret is"):
            InvoicingSettings(**PROD, portal_callback_secret=weak)
    with pytest.raises(ValidationError, match=r"portal_callback_secrets\[coupa.example.com\] is"):
        InvoicingSettings(**PROD, portal_callback_secrets={"coupa.example.com": "change-me"})


def test_in_prod_a_callback_must_name_its_portal_and_use_its_secret() -> None:
    settings = InvoicingSettings(**PROD, portal_callback_secrets={"coupa.example.com": SecretStr("c" * 40)})
    body, now = b'{"reference": "R-1", "status": "AP"}', int(datetime.now(UTC).timestamp())
    with pytest.raises(SignatureMissing):  # the shared secret has no default in prod: nothing to verify with
        authenticate(settings, headers=signed_headers(DEV_CALLBACK_SECRET, timestamp=now, body=body), body=body)
    with pytest.raises(SignatureInvalid):  # another portal's (or no) secret
        authenticate(settings, headers=signed_headers(STRONG, timestamp=now, body=body, portal="coupa.example.com"),
                     body=body)
    caller = authenticate(settings, headers=signed_headers("c" * 40, timestamp=now, body=body,
                                                           portal="Coupa.Example.com"), body=body)
    assert caller.portal == "coupa.example.com"


def verify(token: str, **settings: Any) -> Any:
    return asyncio.run(JWTVerifier.from_settings(ServiceSettings(**settings)).verify(token))


def test_a_token_living_longer_than_the_maximum_is_refused() -> None:
    month = mint_token(secret=DEV_JWT_SECRET, subject="leaky", roles=["admin"], ttl=timedelta(days=30))
    with pytest.raises(Unauthorized, match="lifetime exceeds the maximum of 43200 seconds"):
        verify(month)
    assert verify(month, jwt_max_lifetime_s=30 * 86400).subject == "leaky"  # where a deployment allows it
    working_day = mint_token(secret=DEV_JWT_SECRET, subject="alice", roles=["viewer"], ttl=timedelta(hours=8))
    assert verify(working_day).subject == "alice"
