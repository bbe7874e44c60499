from pydantic import Field
from pydantic_settings import SettingsConfigDict

from o2c_common.settings import ServiceSettings


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
