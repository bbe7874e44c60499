import pytest
from pydantic import ValidationError

from o2c_common.settings import DEV_JWT_SECRET, ServiceSettings


def test_dev_secret_is_refused_in_prod() -> None:
    with pytest.raises(ValidationError, match="placeholder"):
        ServiceSettings(environment="prod")
    with pytest.raises(ValidationError, match="placeholder"):
        ServiceSettings(environment="prod", jwt_secret="change-me")
    assert ServiceSettings(environment="prod", jwt_secret="x" * 40).environment == "prod"
    assert ServiceSettings(environment="prod", jwt_algorithms=["RS256"], jwt_public_key="pem").environment == "prod"
    assert ServiceSettings().jwt_secret.get_secret_value() == DEV_JWT_SECRET


def test_service_prefix_wins_over_the_shared_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    from o2c_invoicing.config import InvoicingSettings

    monkeypatch.setenv("O2C_KAFKA_BOOTSTRAP_SERVERS", "shared:9092")
    assert InvoicingSettings().kafka_bootstrap_servers == "shared:9092"
    monkeypatch.setenv("INVOICING_KAFKA_BOOTSTRAP_SERVERS", "own:9092")
    assert InvoicingSettings().kafka_bootstrap_servers == "own:9092"
    monkeypatch.setenv("INVOICING_DATABASE_URL", "postgresql+asyncpg://u@db:5432/inv")
    assert InvoicingSettings().database_url.endswith("/inv")


def test_migrations_read_the_database_url_without_the_prod_secret_check(monkeypatch: pytest.MonkeyPatch) -> None:
    from o2c_common.settings import database_url_of
    from o2c_kpi.config import KpiSettings

    monkeypatch.setenv("O2C_ENVIRONMENT", "prod")  # no JWT secret set: the service itself would refuse to start
    with pytest.raises(ValidationError, match="placeholder"):
        KpiSettings()
    assert database_url_of(KpiSettings) == KpiSettings.model_fields["database_url"].default
    monkeypatch.setenv("O2C_DATABASE_URL", "postgresql+asyncpg://u@shared:5432/db")
    assert database_url_of(KpiSettings) == "postgresql+asyncpg://u@shared:5432/db"
    monkeypatch.setenv("KPI_DATABASE_URL", "postgresql+asyncpg://u@own:5432/kpi")
    assert database_url_of(KpiSettings) == "postgresql+asyncpg://u@own:5432/kpi"
