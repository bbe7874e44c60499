from pydantic_settings import SettingsConfigDict

from o2c_common.settings import ServiceSettings


class CollectionsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="COLLECTIONS_", extra="ignore", env_nested_delimiter="__")

    service_name: str = "collections"
    http_port: int = 8002
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/o2c_collections"
