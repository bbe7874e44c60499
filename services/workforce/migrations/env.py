from o2c_common.db.alembic_env import run_env
from o2c_common.settings import migration_urls_of
from o2c_workforce.config import WorkforceSettings
from o2c_workforce.models import Base

run_env(Base.metadata, *migration_urls_of(WorkforceSettings))  # as the owner; grants the service's role
