from o2c_common.db.alembic_env import run_env
from o2c_common.settings import database_url_of
from o2c_workforce.config import WorkforceSettings
from o2c_workforce.models import Base

run_env(Base.metadata, database_url_of(WorkforceSettings))
