"""Per-request costs of token verification (issue 16 item 3): a configured public key is parsed once, not per token."""

from __future__ import annotations

from typing import Any

import jwt
import jwt.algorithms
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from o2c_common.auth import JWTVerifier
from o2c_common.errors import Unauthorized


def _pem(key: Any) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


async def test_the_public_key_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    parsed: list[bytes] = []
    load = jwt.algorithms.load_pem_public_key

    def counting(data: bytes, *args: Any, **kwargs: Any) -> Any:
        parsed.append(data)
        return load(data, *args, **kwargs)

    monkeypatch.setattr(jwt.algorithms, "load_pem_public_key", counting)
    verifier = JWTVerifier(algorithms=["RS256"], public_key=_pem(key), issuer="o2c", audience="o2c")
    for subject in ("ann", "bob", "cid"):
        token = jwt.encode({"sub": subject, "exp": 9999999999, "iss": "o2c", "aud": "o2c"}, key, algorithm="RS256")
        assert (await verifier.verify(token)).subject == subject
    assert len(parsed) == 1
    forged = jwt.encode({"sub": "eve", "exp": 9999999999, "iss": "o2c", "aud": "o2c"},
                        rsa.generate_private_key(public_exponent=65537, key_size=2048), algorithm="RS256")
    with pytest.raises(Unauthorized):
        await verifier.verify(forged)


async def test_a_token_of_another_key_family_is_refused() -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    verifier = JWTVerifier(algorithms=["RS256", "ES256"], public_key=_pem(rsa_key), issuer="o2c", audience="o2c")
    token = jwt.encode({"sub": "eve", "exp": 9999999999, "iss": "o2c", "aud": "o2c"},
                       ec.generate_private_key(ec.SECP256R1()), algorithm="ES256")
    with pytest.raises(Unauthorized):
        await verifier.verify(token)
