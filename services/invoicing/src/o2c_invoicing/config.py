from pydantic_settings import SettingsConfigDict

from o2c_common.settings import ServiceSettings


class InvoicingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INVOICING_", extra="ignore", env_nested_delimiter="__")

    service_name: str = "invoicing"
    http_port: int = 8001
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/o2c_invoicing"
