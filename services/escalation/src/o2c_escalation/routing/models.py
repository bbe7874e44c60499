from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from o2c_escalation.db import Base


class RoutingRule(Base):
    """Where a new case goes at L1 when the account's owning team is unknown: the first matching rule by
    ascending ``priority`` wins; a null criterion matches anything."""

    __tablename__ = "routing_rules"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(120))
    priority: Mapped[int] = mapped_column(Integer, index=True)
    category: Mapped[str | None] = mapped_column(String(32))
    region: Mapped[str | None] = mapped_column(String(32))
    customer_id: Mapped[str | None] = mapped_column(String(64))
    severity: Mapped[str | None] = mapped_column(String(2))
    team: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class AccountTeam(Base):
    """Who owns a customer's account, copied from collections' account master (``account.updated``): a case for
    the customer goes to this team at L1 when the fact that opens it names none. ``version`` is the account's:
    an older update never overwrites a newer one."""

    __tablename__ = "account_teams"

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owning_team: Mapped[str | None] = mapped_column(String(64))
    collector: Mapped[str | None] = mapped_column(String(128))
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
