from datetime import date
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from o2c_common.settings import ServiceSettings, check_secret

DEV_REPORT_LINK_SECRET = "o2c-local-dev-report-links-change-me"  # noqa: S105 - refused in prod below


class KpiSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KPI_", extra="ignore", env_nested_delimiter="__")

    service_name: str = "kpi"
    http_port: int = 8003
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/o2c_kpi"
    # SLA evaluation and reports (docs/kpi-sla.md)
    sla_sweep_interval_s: float = 5.0
    sla_sweep_batch_size: int = 200
    sla_timer_grace_s: float = 60.0
    sla_holidays: tuple[date, ...] = ()
    report_snapshot_interval_s: float = 300.0
    # Cross-service reconciliation (docs/reconciliation.md): invoicing's and collections' APIs read with a service
    # token (the file's content; without one, a token signed with this service's JWT secret, for development).
    recon_enabled: bool = True
    recon_interval_s: float = Field(default=300.0, gt=0)
    recon_grace_s: float = Field(default=120.0, ge=0, description="A drift is reported once it is this old.")
    recon_invoicing_url: str = "http://127.0.0.1:8001"
    recon_collections_url: str = "http://127.0.0.1:8002"
    recon_token_file: Path | None = None
    recon_page_size: int = Field(default=500, ge=1, le=1000)
    recon_timeout_s: float = Field(default=30.0, gt=0)
    # Browser access to the review pages (docs/reviews-access.md): the sign-in cookie is Secure unless turned off
    # for plain http://localhost; signed links are HMAC-signed with report_link_secret (refused placeholder in prod).
    public_url: str = Field(default="http://127.0.0.1:8003", description="How people reach this service.")
    signin_cookie_secure: bool = True
    report_link_secret: SecretStr | None = None  # required in prod (a Kubernetes Secret); the dev key elsewhere
    report_link_days: int = Field(default=7, ge=1)
    report_link_max_days: int = Field(default=31, ge=1)
    # Scheduled e-mail digests of the reviews (o2c_kpi.digests), over SMTP like invoicing and collections.
    digest_interval_s: float = 60.0
    digest_max_recipients: int = Field(default=20, ge=1, le=100)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_sender: str = "reviews@o2c.local"

    @model_validator(mode="after")
    def _report_links(self) -> "KpiSettings":
        if self.report_link_days > self.report_link_max_days:
            raise ValueError("report_link_days must not exceed report_link_max_days")
        if self.environment == "prod":
            if self.report_link_secret is None:
                raise ValueError("report_link_secret is required when environment=prod (it signs review links)")
            check_secret("report_link_secret", self.report_link_secret, also_refused={DEV_REPORT_LINK_SECRET})
        return self

    def link_key(self) -> bytes:
        """The HMAC key of signed review links."""
        secret = self.report_link_secret or SecretStr(DEV_REPORT_LINK_SECRET)
        return secret.get_secret_value().encode()
