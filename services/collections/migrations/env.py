from o2c_collections.config import CollectionsSettings
from o2c_collections.models import Base
from o2c_common.db.alembic_env import run_env
from o2c_common.settings import database_url_of

run_env(Base.metadata, database_url_of(CollectionsSettings))
