"""kpi: revoked signed links to reviews (joins the two 0009 heads)

Revision ID: 0010_link_revocations
Revises: 0009_digests, 0009_operations
Create Date: 2026-12-03 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010_link_revocations'
down_revision: str | Sequence[str] | None = ('0009_digests', '0009_operations')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('review_link_revocations',
    sa.Column('signature_sha256', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('period_date', sa.Date(), nullable=False),
    sa.Column('team', sa.String(length=64), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('expires_at', TZ, nullable=False),
    sa.Column('revoked_at', TZ, nullable=False),
    sa.Column('revoked_by', sa.String(length=128), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.PrimaryKeyConstraint('signature_sha256', name=op.f('pk_review_link_revocations')))


def downgrade() -> None:
    op.drop_table('review_link_revocations')
