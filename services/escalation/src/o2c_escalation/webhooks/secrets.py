"""Webhook signing secrets, encrypted at rest (Fernet: AES-128-CBC with HMAC-SHA256, from ``cryptography``, which
the JWT library already brings in).

A subscription's secret is stored as ``fernet:<token>``, sealed with the first of ``webhook_secret_keys`` and
opened with any of them (``MultiFernet``), so a key is rotated by putting the new one first and re-sealing
(``reseal``). The plaintext exists only in the creation response (shown once) and while a delivery is signed.
A row written before encryption (no prefix) is still opened, and sealed by migration 0005_hostile.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from o2c_common.settings import SharedPrefixSettings
from o2c_escalation.config import DEV_WEBHOOK_KEY

PREFIX = "fernet:"


class SecretsUnreadable(ValueError):
    """A stored secret no configured key opens (the key that sealed it was removed)."""


class SecretBox:
    def __init__(self, keys: Sequence[SecretStr | str]) -> None:
        if not keys:
            raise ValueError("at least one webhook secret key is needed")
        values = [k.get_secret_value() if isinstance(k, SecretStr) else k for k in keys]
        self._fernet = MultiFernet([Fernet(v.encode()) for v in values])

    def seal(self, secret: str) -> str:
        return PREFIX + self._fernet.encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored  # written before encryption at rest
        try:
            return self._fernet.decrypt(stored.removeprefix(PREFIX).encode()).decode()
        except InvalidToken as exc:
            raise SecretsUnreadable("no configured webhook_secret_keys entry opens this secret") from exc

    def reseal(self, stored: str) -> str:
        """The secret sealed with the first key (rotation), or sealed at all (a plaintext row)."""
        return self.seal(self.open(stored))


def keys_from_environment(env_prefix: str) -> list[SecretStr]:
    """``webhook_secret_keys`` as the service reads it, without the rest of its settings (for the migration)."""

    class KeysOnly(SharedPrefixSettings):
        model_config = SettingsConfigDict(env_prefix=env_prefix, extra="ignore")
        webhook_secret_keys: list[SecretStr] = [SecretStr(DEV_WEBHOOK_KEY)]

    return KeysOnly().webhook_secret_keys
