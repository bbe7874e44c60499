"""Settings base shared by every service.

Each service subclasses :class:`ServiceSettings` with its own ``env_prefix`` (``INVOICING_`` …).
Every field can also be set once for all services with the ``O2C_`` prefix; the service prefix wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset(
    {"", "change-me", "changeme", "secret", "placeholder", "o2c-local-dev-secret-change-me-32b"}
)
POSITIVE_SUFFIXES = ("_interval_s", "_batch", "_batch_size", "_page_size", "_timeout_s", "_attempts", "_days",
                     "_pool_size", "_slots", "_ttl_hours", "_max_size", "_partitions")
"""Settings whose names end so must be greater than zero (checked for every service's settings)."""
DEV_JWT_SECRET = "o2c-local-dev-secret-change-me-32b"  # noqa: S105 - refused in prod by the validator below
# Words that mark a value as a placeholder wherever they appear in it (``change-me-please``).
PLACEHOLDER_WORDS = ("change-me", "changeme", "change_me", "o2c-local-")
MIN_SECRET_LENGTH = 32


class SharedPrefixSettings(BaseSettings):
    """Settings read from the class's own prefix first, then from the shared ``O2C_`` prefix."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        shared_env = EnvSettingsSource(settings_cls, env_prefix="O2C_", env_nested_delimiter="__")
        return (init_settings, env_settings, shared_env, dotenv_settings, file_secret_settings)


class ServiceSettings(SharedPrefixSettings):
    model_config = SettingsConfigDict(extra="ignore", env_nested_delimiter="__")

    service_name: str = "o2c"
    environment: Literal["dev", "test", "prod"] = "dev"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "INFO"
    log_json: bool = True

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/o2c"
    # The owner's URL, that migrations run as; the service then connects with database_url as a role granted
    # INSERT/SELECT only on the audit trail (o2c_common.db.roles). None: migrations use database_url too.
    database_migration_url: str | None = None
    # Connections kept open, and the ones opened above them for a burst (closed again when it ends). The pool covers
    # one process's peak of requests in flight (about 30 at 200 writes/s on two cores): each connection opened and
    # closed per burst cost PostgreSQL a backend, its login and every statement prepared again (docs/performance.md).
    database_pool_size: int = 30
    database_max_overflow: int = 20

    kafka_bootstrap_servers: str = "127.0.0.1:19092"
    kafka_enable_idempotence: bool = False
    kafka_client_id: str | None = None
    kafka_topic_partitions: int = 6
    kafka_replication_factor: int = 1
    kafka_create_topics: bool = True  # off where topics are managed elsewhere (Strimzi KafkaTopic)
    # The producers' record batches: lz4 costs less CPU than the bytes it saves the broker and the consumers.
    kafka_compression_type: Literal["lz4", "zstd", "snappy", "gzip", "none"] = "lz4"
    # Deployments: SASL_SSL with SCRAM-SHA-512, each service its own user and ACLs (docs/security.md, "Kafka
    # security"); the local broker of `make dev` speaks PLAINTEXT.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = None  # PEM of the CA the brokers' certificates are checked against

    run_workers: bool = True
    outbox_batch_size: int = 1000
    outbox_poll_interval_s: float = 1.0
    outbox_slots: int = 16
    outbox_retry_max_backoff_s: float = 10.0
    consumer_max_attempts: int = 5
    consumer_batch_size: int = 500
    consumer_retry_backoff_s: float = 0.2
    # How long the broker may hold a fetch with no data. Apache Kafka answers as soon as a record arrives
    # anyway; Tansu waits the full time, so a low value keeps events fresh locally, and each fetch costs Tansu CPU
    # for every partition: 50 ms measured better than 25 under load (docs/performance.md, issue 16).
    consumer_fetch_max_wait_ms: int = 50
    # Quiet at rest: after this long without records a consumer long-polls (the broker holds an empty fetch up to
    # consumer_idle_fetch_max_wait_ms) and the relay polls its outbox every outbox_idle_poll_interval_s at most
    # (an insert wakes it at once through LISTEN/NOTIFY). The first record after a quiet spell may wait up to the
    # idle fetch wait on a broker that holds fetches (Tansu); a flowing stream keeps the short wait.
    consumer_idle_after_s: float = Field(default=1.0, gt=0)
    consumer_idle_fetch_max_wait_ms: int = Field(default=1000, ge=1, le=30_000)
    # Written offsets are committed to the broker at most this often (and when the group goes quiet, partitions are
    # revoked or the consumer stops): a commit costs Tansu about half a fetch's CPU. 0.001 commits after every write.
    consumer_offset_commit_interval_s: float = Field(default=0.5, gt=0, le=60)
    outbox_idle_poll_interval_s: float = 5.0
    # How long a consumer that stopped heartbeating keeps its partitions before the group moves them (a killed
    # process's events wait this long). Tansu also holds every group join for half of it, so the local stack
    # (`o2c dev`, the tests) runs with 3 s: a join in 1.5 s instead of 5.
    consumer_session_timeout_ms: int = Field(default=10_000, ge=1_000, le=300_000)
    # Retention (o2c_common.outbox.retention): published outbox rows are kept for `o2c outbox republish`; the
    # inbox must outlive every way an old record can come back (broker retention, a republish window).
    outbox_retention_days: int = Field(default=7, ge=1, le=3650)
    inbox_retention_days: int = Field(default=30, ge=1, le=3650)
    retention_interval_s: float = Field(default=3600.0, gt=0)

    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_algorithms: list[str] = ["HS256"]
    jwt_public_key: str | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str = "o2c"
    jwt_audience: str = "o2c"
    # Longest lifetime a bearer token may have (exp - iat, and exp - now): a leaked token stops working soon.
    jwt_max_lifetime_s: int = Field(default=12 * 3600, ge=60, le=30 * 24 * 3600)

    idempotency_ttl_hours: int = 24

    # The HTTP edge (o2c_common.http.limits): the largest request body of a JSON route and of an upload route
    # (a bank file, a CSV import), and which documents the service exposes at all.
    http_max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    http_max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    expose_openapi: bool = True  # /openapi.json
    expose_docs: bool = True  # /docs (Swagger UI, served from the package: no CDN); needs expose_openapi
    expose_metrics: bool = True  # /metrics (Prometheus)

    @model_validator(mode="after")
    def _counts_and_durations_positive(self) -> ServiceSettings:
        """A zero or negative interval, batch, timeout, attempt count or number of days is a mistake that would
        otherwise surface later as a background job failing every few seconds while readiness says ready."""
        prefix = settings_env_prefix(type(self))
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name.endswith(POSITIVE_SUFFIXES) and isinstance(value, int | float | Decimal) and not isinstance(
                    value, bool) and value <= 0:
                raise ValueError(f"{prefix}{name.upper()}={value} is refused: {name} must be greater than 0")
        return self

    @model_validator(mode="after")
    def _inbox_outlives_outbox(self) -> ServiceSettings:
        if self.inbox_retention_days < self.outbox_retention_days:
            raise ValueError(
                f"inbox_retention_days ({self.inbox_retention_days}) must be at least outbox_retention_days "
                f"({self.outbox_retention_days}): a republished event whose inbox row was purged would apply twice"
            )
        return self

    @model_validator(mode="after")
    def _refuse_placeholder_secrets_outside_dev(self) -> ServiceSettings:
        if self.environment == "prod" and any(a.startswith("HS") for a in self.jwt_algorithms):
            check_secret("jwt_secret", self.jwt_secret, hint=" (or use RS256 with a public key / JWKS)")
        return self


def check_secret(name: str, secret: SecretStr, *, also_refused: Iterable[str] = (), hint: str = "") -> None:
    """Outside development a secret must be real: not a placeholder (the dev defaults, ``change-me`` and the
    like, also inside a longer value) and at least :data:`MIN_SECRET_LENGTH` characters (HMAC-SHA256 wants 32
    bytes of key). ValueError naming the setting, never the value."""
    value = secret.get_secret_value()
    lowered = value.strip().lower()
    refused = {p.lower() for p in (*PLACEHOLDER_SECRETS, *also_refused)}
    if lowered in refused or any(word in lowered for word in PLACEHOLDER_WORDS):
        raise ValueError(f"{name} is a placeholder; set a real secret when environment=prod{hint}")
    if len(value) < MIN_SECRET_LENGTH:
        raise ValueError(f"{name} is {len(value)} characters; at least {MIN_SECRET_LENGTH} are required when "
                         f"environment=prod{hint}")


def settings_env_prefix(settings_cls: type[ServiceSettings]) -> str:
    prefix: Any = settings_cls.model_config.get("env_prefix", "")
    return str(prefix)


class _DatabaseUrls(SharedPrefixSettings):
    database_url: str
    database_migration_url: str | None = None


def _database_urls(settings_cls: type[ServiceSettings]) -> _DatabaseUrls:
    class DatabaseUrlOnly(_DatabaseUrls):
        model_config = SettingsConfigDict(env_prefix=settings_env_prefix(settings_cls), extra="ignore")
        database_url: str = settings_cls.model_fields["database_url"].default

    return DatabaseUrlOnly()


def database_url_of(settings_cls: type[ServiceSettings]) -> str:
    """The service's database URL read from the same sources as its settings, without building the rest: a
    migration job needs no JWT secret, and the prod check on it must not stop the migration."""
    return _database_urls(settings_cls).database_url


def migration_urls_of(settings_cls: type[ServiceSettings]) -> tuple[str, str]:
    """(the URL migrations run with, the URL the service runs with), read as :func:`database_url_of` reads: the
    first is ``database_migration_url`` when set, else ``database_url`` (one role for both, day-one dev)."""
    urls = _database_urls(settings_cls)
    return urls.database_migration_url or urls.database_url, urls.database_url
