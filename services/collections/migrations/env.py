from o2c_collections.config import CollectionsSettings
from o2c_collections.models import Base
from o2c_common.db.alembic_env import run_env

run_env(Base.metadata, CollectionsSettings().database_url)
