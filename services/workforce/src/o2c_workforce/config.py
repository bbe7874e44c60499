from decimal import Decimal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from o2c_common.settings import ServiceSettings


class WorkforceSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WORKFORCE_", extra="ignore", env_nested_delimiter="__")

    service_name: str = "workforce"
    http_port: int = 8005
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/o2c_workforce"

    # Scorecards: an agent below these is surfaced as an under-performer, with the reason.
    quality_target: Decimal = Field(default=Decimal("95"), ge=0, le=100, description="Percent of checklist passed.")
    sla_target: Decimal = Field(default=Decimal("90"), ge=0, le=100, description="Percent of items within target.")
    productivity_floor: Decimal = Field(default=Decimal("0.7"), gt=0, le=1,
                                        description="Share of the team's median items per worked day.")

    # Capacity outlook: published for kpi's reviews by a periodic step (and POST /capacity/outlook:publish).
    capacity_outlook_interval_s: float = Field(default=86400, gt=0, description="Seconds between publications.")
