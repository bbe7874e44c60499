from o2c_collections.config import CollectionsSettings
from o2c_collections.models import Base
from o2c_common.db.alembic_env import run_env
from o2c_common.settings import migration_urls_of

run_env(Base.metadata, *migration_urls_of(CollectionsSettings))  # as the owner; grants the service's role
