"""hostile input: webhook signing secrets encrypted at rest (Fernet, keys from webhook_secret_keys)

Revision ID: 0005_hostile
Revises: 0004
Create Date: 2026-12-02 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from o2c_escalation.webhooks.secrets import PREFIX, SecretBox, keys_from_environment

revision: str = '0005_hostile'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("webhook_subscriptions", "secret", type_=sa.Text(), existing_type=sa.String(128))
    box = SecretBox(keys_from_environment("ESCALATION_"))
    connection = op.get_bind()
    plain = connection.execute(sa.text("SELECT id, secret FROM webhook_subscriptions WHERE secret NOT LIKE :sealed"),
                               {"sealed": f"{PREFIX}%"}).all()
    for subscription_id, secret in plain:
        connection.execute(sa.text("UPDATE webhook_subscriptions SET secret = :secret WHERE id = :id"),
                           {"secret": box.seal(secret), "id": subscription_id})


def downgrade() -> None:
    box = SecretBox(keys_from_environment("ESCALATION_"))
    connection = op.get_bind()
    sealed = connection.execute(sa.text("SELECT id, secret FROM webhook_subscriptions WHERE secret LIKE :sealed"),
                                {"sealed": f"{PREFIX}%"}).all()
    for subscription_id, secret in sealed:
        connection.execute(sa.text("UPDATE webhook_subscriptions SET secret = :secret WHERE id = :id"),
                           {"secret": box.open(secret), "id": subscription_id})
    op.alter_column("webhook_subscriptions", "secret", type_=sa.String(128), existing_type=sa.Text())
