from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from o2c_collections.db import MONEY, Base

# the keys an invoice number is found by, computed by the database (migration 0011_cashapp): as written (alphanumerics,
# upper case) and with the leading zeros of each all-digit segment dropped — cashapp.references.invoice_keys
MATCH_KEYS = ("ARRAY[upper(regexp_replace(invoice_number, '[^0-9A-Za-z]', '', 'g')), upper(regexp_replace("
              "regexp_replace(upper(invoice_number), '(^|[^0-9A-Z])0+(?=[0-9]+([^0-9A-Z]|$))', '\\1', 'g'), "
              "'[^0-9A-Za-z]', '', 'g'))]")


class OpenItemStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class EntryKind(StrEnum):
    """What moved an open item's amount (a ledger entry's kind)."""

    INVOICE = "invoice"
    PAYMENT = "payment"
    REVERSAL = "reversal"
    CREDIT_NOTE = "credit_note"
    WRITE_OFF = "write_off"
    TOLERANCE_WRITE_OFF = "tolerance_write_off"


CASH_KINDS = (EntryKind.PAYMENT, EntryKind.REVERSAL)
WRITE_OFF_KINDS = (EntryKind.WRITE_OFF, EntryKind.TOLERANCE_WRITE_OFF)


class OpenItem(Base):
    """One receivable per issued invoice; its open amount is the sum of its ledger entries."""

    __tablename__ = "open_items"
    __table_args__ = (Index("ix_open_items_upper_invoice_number", text("upper(invoice_number)")),
                      # no pending list (migration 0013): lookups never read keys not yet merged into the index
                      Index("ix_open_items_match_keys", "match_keys", postgresql_using="gin",
                            postgresql_with={"fastupdate": "off"}))

    invoice_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    invoice_number: Mapped[str] = mapped_column(String(40))  # found upper-cased or by match keys (migration 0017)
    legal_entity: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    owning_team: Mapped[str | None] = mapped_column(String(64), index=True)
    region: Mapped[str | None] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    original_amount: Mapped[Decimal] = mapped_column(MONEY)
    open_amount: Mapped[Decimal] = mapped_column(MONEY)
    disputed_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0), server_default="0")
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[OpenItemStatus] = mapped_column(String(16))
    closed_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # the ledger's running figures (migration 0010): entries posted so far (the last entry's sequence) and what
    # cash, credit notes and write-offs took off the receivable
    entries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    cash_applied_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0), server_default="0")
    credited_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0), server_default="0")
    written_off_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0), server_default="0")
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # what cash application reads (migration 0011_cashapp): the customer's PO number, the early-payment discount of
    # the terms (percent, last day) and the keys the invoice number is found by (cashapp.references.invoice_keys)
    po_number: Mapped[str | None] = mapped_column(String(64))
    discount_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    discount_until: Mapped[date | None] = mapped_column(Date)
    match_keys: Mapped[list[str]] = mapped_column(ARRAY(Text), Computed(MATCH_KEYS, persisted=True))


class LedgerEntry(Base):
    """Every movement of an open item, kept forever, so balances can be rebuilt as of any date.

    The account facts (customer, entity, currency, team, due date) are repeated on every entry so that
    balances and aging as of any date are one scan of this table: an entry's aging bucket depends only
    on its invoice's due date and the as-of date.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_effective_date", "effective_date"),
        # aging by customer in pages: read in customer order, index only (migration 0008)
        Index("ix_ledger_entries_customer_aging", "customer_id", "currency",
              postgresql_include=["effective_date", "due_date", "amount"]),
        # a credit note reduces its invoice once, whatever event ids carry it (migration 0009)
        Index("uq_ledger_entries_credit_note", "credit_note_id", unique=True,
              postgresql_where=text("credit_note_id IS NOT NULL")),
        # one entry per number of an invoice: receivable.changed's per-invoice sequence (migration 0010)
        UniqueConstraint("invoice_id", "sequence", name="uq_ledger_entries_invoice_sequence"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    # queries by invoice use uq_ledger_entries_invoice_sequence, whose leading column it is (migration 0016)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("open_items.invoice_id"))
    sequence: Mapped[int] = mapped_column(Integer)
    kind: Mapped[EntryKind] = mapped_column(String(24))
    amount: Mapped[Decimal] = mapped_column(MONEY)  # + raises the receivable, - reduces it
    effective_date: Mapped[date] = mapped_column(Date)
    customer_id: Mapped[str] = mapped_column(String(64))
    legal_entity: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    owning_team: Mapped[str | None] = mapped_column(String(64))
    due_date: Mapped[date] = mapped_column(Date)
    payment_id: Mapped[uuid.UUID | None] = mapped_column()
    application_id: Mapped[uuid.UUID | None] = mapped_column()
    source_event_id: Mapped[uuid.UUID | None] = mapped_column()
    credit_note_id: Mapped[uuid.UUID | None] = mapped_column()
    deduction_id: Mapped[uuid.UUID | None] = mapped_column()
    dispute_id: Mapped[uuid.UUID | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(String(32))
    posted_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
