from o2c_common.db.alembic_env import run_env
from o2c_common.settings import migration_urls_of
from o2c_kpi.config import KpiSettings
from o2c_kpi.models import Base

run_env(Base.metadata, *migration_urls_of(KpiSettings))  # as the owner; grants the service's role
