"""credit hold rules (automatic holds), payment import jobs processed in the background in chunks, one dedupe
key for history payments booked by the importer and through POST /payments

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 09:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'credit_hold_rules',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('over_limit', sa.Boolean(), server_default='false', nullable=False),
        sa.Column('min_risk_score', sa.Integer(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_hold_rules')),
    )
    op.add_column('accounts', sa.Column('hold_rule_id', sa.String(length=64), nullable=True))
    op.add_column('payment_imports', sa.Column('legal_entity', sa.String(length=20), nullable=True))
    op.add_column('payment_imports', sa.Column('errors', sa.Integer(), server_default='0', nullable=False))
    op.add_column('payment_imports', sa.Column('error_details', sa.JSON(), server_default='[]', nullable=False))
    op.add_column('payment_imports', sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'payment_import_lines',
        sa.Column('import_id', sa.Uuid(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('payload', postgresql.JSONB(), nullable=False),
        sa.ForeignKeyConstraint(['import_id'], ['payment_imports.id'],
                                name=op.f('fk_payment_import_lines_import_id_payment_imports')),
        sa.PrimaryKeyConstraint('import_id', 'position', name=op.f('pk_payment_import_lines')),
    )
    op.create_index('ix_payment_imports_pending', 'payment_imports', ['created_at'],
                    postgresql_where=sa.text("status IN ('queued', 'processing')"))
    # history payments: the importer's key becomes the one POST /payments derives from bank_reference
    # history:<entity>:<number>, so either path (or both) books each history payment once
    op.execute("UPDATE payments SET bank_reference = dedupe_key, dedupe_key = 'bank:' || legal_entity || ':' "
               "|| dedupe_key WHERE dedupe_key LIKE 'history:%'")


def downgrade() -> None:
    op.execute("UPDATE payments SET dedupe_key = bank_reference, bank_reference = NULL "
               "WHERE source = 'history_import' AND dedupe_key LIKE 'bank:%:history:%'")
    op.drop_index('ix_payment_imports_pending', table_name='payment_imports',
                  postgresql_where=sa.text("status IN ('queued', 'processing')"))
    op.drop_table('payment_import_lines')
    op.drop_column('payment_imports', 'completed_at')
    op.drop_column('payment_imports', 'error_details')
    op.drop_column('payment_imports', 'errors')
    op.drop_column('payment_imports', 'legal_entity')
    op.drop_column('accounts', 'hold_rule_id')
    op.drop_table('credit_hold_rules')
