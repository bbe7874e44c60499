"""hostile input: the live numbering series moved past numbers imported into it before imports were refused;
each submission records the portal it went to (a portal's statuses apply only to its own submissions)

Revision ID: 0006_hostile
Revises: 0005
Create Date: 2026-12-02 22:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006_hostile'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Imported invoices whose number has the live series' form (<entity>-<year>-<NNNNNN>): the series continues
# after the highest one, so the next issue neither collides with it nor fails.
ADVANCE_PAST_IMPORTED = r"""
INSERT INTO invoice_number_sequences (legal_entity, year, last_number)
SELECT legal_entity, CAST(substr(tail, 2, 4) AS integer), max(CAST(substr(tail, 7) AS integer))
FROM (SELECT legal_entity, substr(number, char_length(legal_entity) + 1) AS tail
      FROM invoices
      WHERE source = 'import' AND left(number, char_length(legal_entity) + 1) = legal_entity || '-') imported
WHERE tail ~ '^-[0-9]{4}-[0-9]{6,9}$'
GROUP BY legal_entity, substr(tail, 2, 4)
ON CONFLICT (legal_entity, year)
DO UPDATE SET last_number = GREATEST(invoice_number_sequences.last_number, EXCLUDED.last_number)
"""


def upgrade() -> None:
    op.execute(ADVANCE_PAST_IMPORTED)
    op.add_column("submissions", sa.Column("portal", sa.String(300), nullable=True))
    op.create_index("ix_submissions_portal_ref", "submissions", ["portal", "portal_reference"])


def downgrade() -> None:
    # the counters stay where they are: lowering them would hand out numbers already held
    op.drop_index("ix_submissions_portal_ref", table_name="submissions")
    op.drop_column("submissions", "portal")
