"""Webhook signing secrets, encrypted at rest (Fernet: AES-128-CBC with HMAC-SHA256, from ``cryptography``, which
the JWT library already brings in).

A subscription's secret is stored as ``fernet:<token>``, sealed with a key derived (HKDF-SHA256) from
``webhook_secret_key`` and opened with it or any of ``webhook_secret_previous_keys`` (rotation: the new key in
``webhook_secret_key``, the old one among the previous keys). The plaintext exists only in the creation response
(shown once) and while a delivery is signed. A secret written before encryption, or sealed with a previous key,
is still opened, and the sender seals it again with the current key when it next uses it.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr

from o2c_escalation.config import DEV_WEBHOOK_KEY, EscalationSettings

PREFIX = "fernet:"


class SecretsUnreadable(ValueError):
    """A stored secret no configured key opens (the key that sealed it was removed)."""


def fernet_key(material: str) -> bytes:
    """The Fernet key of a configured key (any high-entropy text: 32 or more characters in prod)."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"o2c webhook secrets").derive(
        material.encode())
    return base64.urlsafe_b64encode(derived)


class SecretBox:
    def __init__(self, current: SecretStr | str, previous: Sequence[SecretStr | str] = ()) -> None:
        keys = [k.get_secret_value() if isinstance(k, SecretStr) else k for k in (current, *previous)]
        self._current = Fernet(fernet_key(keys[0]))
        self._fernet = MultiFernet([Fernet(fernet_key(k)) for k in keys])

    @classmethod
    def of(cls, settings: EscalationSettings) -> SecretBox:
        return cls(settings.webhook_secret_key or SecretStr(DEV_WEBHOOK_KEY), settings.webhook_secret_previous_keys)

    def seal(self, secret: str) -> str:
        return PREFIX + self._current.encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored  # written before encryption at rest
        try:
            return self._fernet.decrypt(stored.removeprefix(PREFIX).encode()).decode()
        except InvalidToken as exc:
            raise SecretsUnreadable("no configured webhook secret key opens this secret") from exc

    def current(self, stored: str) -> bool:
        """Whether ``stored`` is sealed with the current key (else it is sealed again when next used)."""
        if not stored.startswith(PREFIX):
            return False
        try:
            self._current.decrypt(stored.removeprefix(PREFIX).encode())
        except InvalidToken:
            return False
        return True
