"""cash application that reads remittances: open items carry their PO number, their early-payment discount (percent
and last day) and the keys their number is found by (as written and with zeros dropped: a generated column, GIN-indexed);
a remittance line keeps the free text its reference was read from; a payment keeps the evidence of its decision;
the payer-specific patterns learned from manual applications (aliases, reference formats)

Revision ID: 0011_cashapp
Revises: 0010
Create Date: 2026-12-02 22:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0011_cashapp'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# o2c_collections.cashapp.references.invoice_keys in SQL: as written (alphanumerics, upper case) and with the
# leading zeros of every all-digit segment dropped
NORMALISED = "upper(regexp_replace(invoice_number, '[^0-9A-Za-z]', '', 'g'))"
STRIPPED = ("upper(regexp_replace(regexp_replace(upper(invoice_number), "
            "'(^|[^0-9A-Z])0+(?=[0-9]+([^0-9A-Z]|$))', '\\1', 'g'), '[^0-9A-Za-z]', '', 'g'))")
MATCH_KEYS = f"ARRAY[{NORMALISED}, {STRIPPED}]"


def upgrade() -> None:
    op.add_column('open_items', sa.Column('po_number', sa.String(64), nullable=True))
    op.add_column('open_items', sa.Column('discount_percent', sa.Numeric(5, 2), nullable=True))
    op.add_column('open_items', sa.Column('discount_until', sa.Date(), nullable=True))
    op.add_column('open_items', sa.Column('match_keys', postgresql.ARRAY(sa.Text()),
                                          sa.Computed(MATCH_KEYS, persisted=True), nullable=False))
    op.create_index('ix_open_items_match_keys', 'open_items', ['match_keys'], postgresql_using='gin')
    op.add_column('remittance_lines', sa.Column('text', sa.Text(), nullable=True))
    op.add_column('payments', sa.Column('evidence', sa.JSON(), server_default='[]', nullable=False))
    op.create_table(
        'cashapp_patterns',
        sa.Column('id', sa.Uuid(), primary_key=True),
        sa.Column('customer_id', sa.String(64), nullable=False, index=True),
        sa.Column('kind', sa.String(24), nullable=False),
        sa.Column('value', sa.String(200), nullable=False),
        sa.Column('number', sa.String(64), nullable=True),
        sa.Column('width', sa.Integer(), nullable=True),
        sa.Column('example', sa.String(200), nullable=False),
        sa.Column('invoice_number', sa.String(40), nullable=False),
        sa.Column('payment_id', sa.Uuid(), nullable=False),
        sa.Column('owning_team', sa.String(64), nullable=True, index=True),
        sa.Column('learned_by', sa.String(64), nullable=False),
        sa.Column('learned_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint('customer_id', 'kind', 'value', name='uq_cashapp_patterns_customer_kind_value'),
    )
    op.create_index('ix_cashapp_patterns_alias', 'cashapp_patterns', ['kind', 'value'])


def downgrade() -> None:
    op.drop_index('ix_cashapp_patterns_alias', table_name='cashapp_patterns')
    op.drop_table('cashapp_patterns')
    op.drop_column('payments', 'evidence')
    op.drop_column('remittance_lines', 'text')
    op.drop_index('ix_open_items_match_keys', table_name='open_items')
    for name in ('match_keys', 'discount_until', 'discount_percent', 'po_number'):
        op.drop_column('open_items', name)
