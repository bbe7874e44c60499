"""one truth about money: every ledger entry numbered per invoice (receivable.changed's sequence) with its links,
the running figures on the open item, the tolerance kind renamed; the account master's columns; dunning
statements (one per customer, currency, cycle and level) with default policies and templates seeded; dispute
write-offs requested and approved by two people

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlalchemy.dialects.postgresql
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(20, 6)


def _ledger() -> None:
    for name in ('cash_applied_amount', 'credited_amount', 'written_off_amount'):
        op.add_column('open_items', sa.Column(name, MONEY, server_default='0', nullable=False))
    op.add_column('open_items', sa.Column('entries', sa.Integer(), server_default='0', nullable=False))
    op.add_column('ledger_entries', sa.Column('sequence', sa.Integer(), nullable=True))
    op.add_column('ledger_entries', sa.Column('deduction_id', sa.Uuid(), nullable=True))
    op.add_column('ledger_entries', sa.Column('dispute_id', sa.Uuid(), nullable=True))
    op.add_column('ledger_entries', sa.Column('reason', sa.String(32), nullable=True))
    op.add_column('ledger_entries', sa.Column('posted_by', sa.String(64), nullable=True))
    op.execute("UPDATE ledger_entries SET kind = 'tolerance_write_off', reason = 'tolerance' WHERE kind = 'tolerance'")
    for kind in ('dispute', 'deduction'):  # the links of write-offs posted before, from their note
        op.execute(f"""UPDATE ledger_entries SET reason = '{kind}',
                           {kind}_id = substring(note from '{kind} ([0-9a-f-]{{36}}) written off')::uuid
                       WHERE kind = 'write_off' AND note ~ '^{kind} [0-9a-f-]{{36}} written off$'""")  # noqa: S608 (constants)
    op.execute("""UPDATE ledger_entries e SET sequence = n.seq
                  FROM (SELECT id, row_number() OVER (PARTITION BY invoice_id ORDER BY id) AS seq
                        FROM ledger_entries) n WHERE n.id = e.id""")
    op.alter_column('ledger_entries', 'sequence', nullable=False)
    op.create_unique_constraint('uq_ledger_entries_invoice_sequence', 'ledger_entries', ['invoice_id', 'sequence'])
    op.execute("""UPDATE open_items o SET entries = s.entries, cash_applied_amount = s.cash,
                         credited_amount = s.credited, written_off_amount = s.written_off
                  FROM (SELECT invoice_id, count(*) AS entries,
                               coalesce(-sum(amount) FILTER (WHERE kind IN ('payment', 'reversal')), 0) AS cash,
                               coalesce(-sum(amount) FILTER (WHERE kind = 'credit_note'), 0) AS credited,
                               coalesce(-sum(amount) FILTER (WHERE kind IN ('write_off', 'tolerance_write_off')),
                                        0) AS written_off
                        FROM ledger_entries GROUP BY invoice_id) s
                  WHERE s.invoice_id = o.invoice_id""")


def _accounts() -> None:
    op.add_column('accounts', sa.Column('language', sa.String(8), server_default='en', nullable=False))
    op.add_column('accounts', sa.Column('dunning_contacts', sa.JSON(), server_default='[]', nullable=False))
    op.add_column('accounts', sa.Column('region', sa.String(32), nullable=True))
    # an e-mail address kept on an account before the master becomes its dunning contact
    op.execute("""UPDATE accounts SET dunning_contacts = json_build_array(json_build_object(
                      'name', name, 'email', email, 'language', NULL, 'role', 'dunning'))
                  WHERE email IS NOT NULL""")


def _level(level: int, days: int, template: str) -> dict[str, object]:
    return {"level": level, "days_past_due": days, "channel": "email", "template": template, "min_amount": "0"}


POLICIES = {
    "standard": ("standard", [_level(1, 1, "reminder"), _level(2, 15, "second_reminder"),
                              _level(3, 30, "final_demand"), _level(4, 45, "final_notice")]),
    "key_account": ("key_account", [_level(1, 7, "reminder"), _level(2, 21, "second_reminder"),
                                    _level(3, 45, "final_demand")]),
}

EN_ITEMS = "{items}\n\nTotal overdue: {total_due}\n"
DE_ITEMS = "{items}\n\nÜberfällig gesamt: {total_due}\n"
TEMPLATES = {
    ("reminder", "en"): (
        "Payment reminder: {total_due} overdue",
        "Dear {customer_name},\n\nour records show the following invoices as overdue (as of {as_of}):\n\n"
        + EN_ITEMS + "\nIf you have already paid, please disregard this reminder.\n\nKind regards\n{sender}\n"),
    ("second_reminder", "en"): (
        "Second reminder: {total_due} overdue",
        "Dear {customer_name},\n\ndespite our reminder, these invoices are still unpaid (as of {as_of}):\n\n"
        + EN_ITEMS + "\nPlease pay within 7 days or tell us why you cannot.\n\nKind regards\n{sender}\n"),
    ("final_demand", "en"): (
        "Final demand: {total_due} overdue",
        "Dear {customer_name},\n\nthe following invoices remain unpaid (as of {as_of}):\n\n"
        + EN_ITEMS + "\nUnless we receive payment within 7 days, we will put your account on hold.\n\n"
        "Regards\n{sender}\n"),
    ("final_notice", "en"): (
        "Final notice before collection: {total_due} overdue",
        "Dear {customer_name},\n\nthis is our final notice for these invoices (as of {as_of}):\n\n"
        + EN_ITEMS + "\nWithout payment within 7 days the claim will be handed to collection.\n\n{sender}\n"),
    ("reminder", "de"): (
        "Zahlungserinnerung: {total_due} überfällig",
        "Sehr geehrte Damen und Herren ({customer_name}),\n\nfolgende Rechnungen sind laut unserer Buchhaltung "
        "überfällig (Stand {as_of}):\n\n" + DE_ITEMS
        + "\nFalls Sie bereits gezahlt haben, betrachten Sie diese Erinnerung bitte als gegenstandslos.\n\n"
        "Mit freundlichen Grüßen\n{sender}\n"),
    ("second_reminder", "de"): (
        "Zweite Mahnung: {total_due} überfällig",
        "Sehr geehrte Damen und Herren ({customer_name}),\n\ntrotz unserer Erinnerung sind folgende Rechnungen "
        "noch offen (Stand {as_of}):\n\n" + DE_ITEMS
        + "\nBitte zahlen Sie innerhalb von 7 Tagen.\n\nMit freundlichen Grüßen\n{sender}\n"),
    ("final_demand", "de"): (
        "Letzte Mahnung: {total_due} überfällig",
        "Sehr geehrte Damen und Herren ({customer_name}),\n\nfolgende Rechnungen sind weiterhin offen "
        "(Stand {as_of}):\n\n" + DE_ITEMS
        + "\nOhne Zahlung innerhalb von 7 Tagen sperren wir Ihr Konto.\n\nMit freundlichen Grüßen\n{sender}\n"),
    ("final_notice", "de"): (
        "Letzte Aufforderung vor Inkasso: {total_due} überfällig",
        "Sehr geehrte Damen und Herren ({customer_name}),\n\ndies ist unsere letzte Aufforderung für folgende "
        "Rechnungen (Stand {as_of}):\n\n" + DE_ITEMS
        + "\nOhne Zahlung innerhalb von 7 Tagen übergeben wir die Forderung an ein Inkassobüro.\n\n{sender}\n"),
}


def _dunning() -> None:
    op.create_table(
        'dunning_templates',
        sa.Column('template', sa.String(64), nullable=False), sa.Column('language', sa.String(8), nullable=False),
        sa.Column('subject', sa.String(200), nullable=False), sa.Column('body', sa.Text(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('template', 'language', name=op.f('pk_dunning_templates')))
    op.create_table(
        'dunning_statements',
        sa.Column('id', sa.Uuid(), nullable=False), sa.Column('run_id', sa.Uuid(), nullable=False),
        sa.Column('legal_entity', sa.String(20), nullable=False),
        sa.Column('customer_id', sa.String(64), nullable=False), sa.Column('owning_team', sa.String(64)),
        sa.Column('currency', sa.String(3), nullable=False), sa.Column('cycle', sa.Integer(), nullable=False),
        sa.Column('level', sa.Integer(), nullable=False), sa.Column('policy_id', sa.String(64), nullable=False),
        sa.Column('channel', sa.String(16), nullable=False), sa.Column('template', sa.String(64), nullable=False),
        sa.Column('language', sa.String(8), nullable=False), sa.Column('recipients', sa.JSON(), nullable=False),
        sa.Column('total_due', MONEY, nullable=False), sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('status', sa.String(16), nullable=False), sa.Column('failure_reason', sa.String(32)),
        sa.Column('failure_detail', sa.Text()), sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dunning_statements')),
        sa.UniqueConstraint('customer_id', 'currency', 'cycle', 'level', name='uq_dunning_statements_slot'))
    for column in ('run_id', 'customer_id', 'owning_team'):
        op.create_index(op.f(f'ix_dunning_statements_{column}'), 'dunning_statements', [column])
    op.create_table(
        'dunning_statement_items',
        sa.Column('statement_id', sa.Uuid(), nullable=False), sa.Column('invoice_id', sa.Uuid(), nullable=False),
        sa.Column('invoice_number', sa.String(40), nullable=False), sa.Column('due_date', sa.Date(), nullable=False),
        sa.Column('days_past_due', sa.Integer(), nullable=False), sa.Column('amount', MONEY, nullable=False),
        sa.ForeignKeyConstraint(['statement_id'], ['dunning_statements.id'], ondelete='CASCADE',
                                name=op.f('fk_dunning_statement_items_statement_id_dunning_statements')),
        sa.PrimaryKeyConstraint('statement_id', 'invoice_id', name=op.f('pk_dunning_statement_items')))
    policies = sa.table('dunning_policies', sa.column('id'), sa.column('segment'), sa.column('levels', sa.JSON()),
                        sa.column('version'))
    for policy_id, (segment, levels) in POLICIES.items():
        op.execute(sa.dialects.postgresql.insert(policies).values(id=policy_id, segment=segment, levels=levels,
                                                                  version=1).on_conflict_do_nothing())
    templates = sa.table('dunning_templates', sa.column('template'), sa.column('language'), sa.column('subject'),
                         sa.column('body'), sa.column('version'))
    op.bulk_insert(templates, [{"template": t, "language": lang, "subject": subject, "body": body, "version": 1}
                               for (t, lang), (subject, body) in TEMPLATES.items()])


def _disputes() -> None:
    op.alter_column('disputes', 'status', type_=sa.String(24))
    op.add_column('disputes', sa.Column('write_off_requested_by', sa.String(64), nullable=True))
    op.add_column('disputes', sa.Column('approved_by', sa.String(64), nullable=True))
    op.add_column('disputes', sa.Column('written_off_amount', MONEY, server_default='0', nullable=False))
    op.execute("""UPDATE disputes d SET written_off_amount = -e.amount FROM ledger_entries e
                  WHERE e.kind = 'write_off' AND e.note = 'dispute ' || d.id || ' written off'""")


def upgrade() -> None:
    _ledger()
    _accounts()
    _dunning()
    _disputes()


def downgrade() -> None:
    for name in ('write_off_requested_by', 'approved_by', 'written_off_amount'):
        op.drop_column('disputes', name)
    op.drop_table('dunning_statement_items')
    op.drop_table('dunning_statements')
    op.drop_table('dunning_templates')
    op.execute("DELETE FROM dunning_policies WHERE id IN ('standard', 'key_account') AND version = 1")
    for name in ('language', 'dunning_contacts', 'region'):
        op.drop_column('accounts', name)
    op.execute("UPDATE ledger_entries SET kind = 'tolerance' WHERE kind = 'tolerance_write_off'")
    op.drop_constraint('uq_ledger_entries_invoice_sequence', 'ledger_entries', type_='unique')
    for name in ('sequence', 'deduction_id', 'dispute_id', 'reason', 'posted_by'):
        op.drop_column('ledger_entries', name)
    for name in ('cash_applied_amount', 'credited_amount', 'written_off_amount', 'entries'):
        op.drop_column('open_items', name)
