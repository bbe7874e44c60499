from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from o2c_common.egress import EgressPolicy
from o2c_common.settings import ServiceSettings, check_secret

# The development key encrypting webhook secrets (refused in prod).
DEV_WEBHOOK_KEY = "o2c-local-dev-webhook-secret-key-change-me"


class EscalationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ESCALATION_", extra="ignore", env_nested_delimiter="__")

    service_name: str = "escalation"
    http_port: int = 8004
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/o2c_escalation"

    # Tiers: L1 is the team owning the account (or the routing rules' / default desk's); L2 and L3 are fixed desks.
    default_l1_team: str = "l1-desk"
    l2_team: str = "ar-supervisors"
    l3_team: str = "service-delivery"
    # Automatic cases from events.
    portal_rejection_threshold: int = Field(default=3, ge=1, description="Open a case at the Nth portal rejection.")
    broken_promise_threshold: int = Field(default=2, ge=1, description="Open a case at the Nth broken promise.")
    # Durable SLA timers and webhook deliveries, swept by background tasks when run_workers is on.
    sweep_interval_s: float = Field(default=1.0, gt=0)
    sweep_batch_size: int = Field(default=100, ge=1, description="Timers fired per sweep (about 6 ms each).")
    webhook_interval_s: float = Field(default=1.0, gt=0)
    webhook_batch_size: int = Field(default=50, ge=1)
    webhook_timeout_s: float = Field(default=5.0, gt=0)
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_backoff_base_s: float = Field(default=30.0, ge=0)
    webhook_backoff_max_s: float = Field(default=3600.0, ge=0)
    # SSRF guard: webhooks go to public addresses only unless this is on (local receivers in development).
    webhook_allow_private_targets: bool = False
    # Hosts that may receive webhooks on a private / loopback address although private targets are not allowed
    # (host, host:port, *.domain); every other host must resolve to public addresses only.
    webhook_private_hosts: list[str] = []
    # The key encrypting webhook secrets at rest (webhooks.secrets; 32+ random characters, e.g. `openssl rand
    # -base64 48`): required in prod, the dev key elsewhere. Previous keys still open what they sealed (rotation).
    webhook_secret_key: SecretStr | None = None
    webhook_secret_previous_keys: list[SecretStr] = []

    @model_validator(mode="after")
    def _webhook_keys(self) -> EscalationSettings:
        if self.environment == "prod":
            if self.webhook_secret_key is None:
                raise ValueError("webhook_secret_key is required when environment=prod (it encrypts webhook secrets)")
            check_secret("webhook_secret_key", self.webhook_secret_key, also_refused={DEV_WEBHOOK_KEY})
        return self

    def webhook_policy(self) -> EgressPolicy:
        """Where webhooks may go: any host, on public addresses unless allowed (o2c_common.egress)."""
        return EgressPolicy.of(allowed=None, private=self.webhook_private_hosts,
                               any_private=self.webhook_allow_private_targets)
