from datetime import date

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
