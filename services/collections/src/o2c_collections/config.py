from decimal import Decimal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from o2c_common.settings import ServiceSettings


class CollectionsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="COLLECTIONS_", extra="ignore", env_nested_delimiter="__")

    service_name: str = "collections"
    http_port: int = 8002
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/o2c_collections"

    # cash application
    tolerance_amount: Decimal = Decimal("5.00")
    tolerance_percent: Decimal = Decimal("0.5")
    deduction_band_percent: Decimal = Decimal("10")
    combination_max_items: int = 30
    combination_max_size: int = 6
    combination_node_budget: int = 50_000
    # maker-checker on credits and write-offs of disputes and deductions: an ar_supervisor (not the requester)
    # approves while everything approved on the invoice, this one included, stays within the limit of the
    # invoice's currency (per currency, not converted: 1,000 USD, 150,000 JPY); above it, or in a currency not
    # listed while reduction_limit_default is None, only an admin approves. Setting it replaces the whole map.
    reduction_limits: dict[str, Decimal] = {
        "USD": Decimal("1000"), "EUR": Decimal("1000"), "GBP": Decimal("800"), "CHF": Decimal("1000"),
        "CAD": Decimal("1300"), "AUD": Decimal("1500"), "NZD": Decimal("1600"), "JPY": Decimal("150000"),
        "CNY": Decimal("7000"), "HKD": Decimal("7800"), "SGD": Decimal("1300"), "INR": Decimal("80000"),
        "SEK": Decimal("10000"), "NOK": Decimal("10000"), "DKK": Decimal("7000"), "PLN": Decimal("4000"),
        "MXN": Decimal("17000"), "BRL": Decimal("5000"), "ZAR": Decimal("18000")}
    reduction_limit_default: Decimal | None = None
    # background work: promise check, dunning run and overdue escalation rules (daily by default)
    promise_check_interval_s: float = 86_400
    dunning_interval_s: float = 86_400
    escalation_interval_s: float = 86_400
    # automatic credit holds: the rules are evaluated this often (hourly by default)
    credit_hold_interval_s: float = 3_600
    # payment file imports: booked in the background, this many lines per transaction; idle poll interval
    import_chunk_lines: int = Field(default=1_000, ge=1, le=10_000)
    import_poll_interval_s: float = 1.0
    # dunning statements over SMTP (1025: the local mail server `make dev` runs, as invoicing's default)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_sender: str = "collections@o2c.local"
    # a customer's next dunning level waits at least this long after its previous statement
    dunning_min_days_between_levels: int = 7
