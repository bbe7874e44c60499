from o2c_common.db.alembic_env import run_env
from o2c_common.settings import migration_urls_of
from o2c_escalation.config import EscalationSettings
from o2c_escalation.models import Base

run_env(Base.metadata, *migration_urls_of(EscalationSettings))  # as the owner; grants the service's role
