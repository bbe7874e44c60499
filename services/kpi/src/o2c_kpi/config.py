from datetime import date
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from o2c_common.settings import ServiceSettings


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
