"""The statement that stores a new draft: the creation hot path.

One statement with data-modifying CTEs on the Core tables (no ORM bookkeeping, one round trip): the invoice,
its lines (``INSERT … SELECT FROM unnest(<one array per column>)``: any number of lines in one statement
shape), its first status row and its audit entry; optionally the owning team resolved from the customer's
billing profile inside the same statement.

The statement object is built once per shape and every value is a bound parameter: building SQLAlchemy
expressions and their cache keys on each request cost more CPU than executing them. A reused statement keeps
its memoised cache key and its compiled form.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Select, String, Table, bindparam, case, exists, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY

from o2c_common.db.plumbing import audit_log_table
from o2c_invoicing.invoices.models import Invoice, InvoiceLine, InvoiceStatusChange
from o2c_invoicing.profiles.models import BillingProfile


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def _values(table: Table, prefix: str, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: bindparam(f"{prefix}_{name}", type_=table.c[name].type) for name in names}


@lru_cache(maxsize=32)
def draft_statement(invoice: tuple[str, ...], lines: tuple[str, ...], history: tuple[str, ...],
                    audit: tuple[str, ...], team_from_profile: bool) -> Select[Any]:
    """The statement for these column names; parameters ``inv_<col>``, ``line_<col>`` (arrays), ``hist_<col>``,
    ``audit_<col>``, and ``requested_team`` with ``team_from_profile``. Selects the owning team stored."""
    invoices, line_table, history_table = _table(Invoice), _table(InvoiceLine), _table(InvoiceStatusChange)
    values = _values(invoices, "inv", invoice)
    if team_from_profile:
        customer = BillingProfile.customer_id == values["customer_id"]
        values["owning_team"] = case(
            (exists().where(customer), select(BillingProfile.owning_team).where(customer).scalar_subquery()),
            else_=bindparam("requested_team", type_=String))
    created = insert(invoices).values(values).returning(invoices.c.owning_team).cte("created")
    arrays = [bindparam(f"line_{name}", type_=ARRAY(line_table.c[name].type)) for name in lines]
    source = func.unnest(*arrays).table_valued(*lines).render_derived(name="source")
    return select(created.c.owning_team).add_cte(
        insert(line_table).from_select(list(lines), select(*(source.c[name] for name in lines))).cte("lines"),
        insert(history_table).values(_values(history_table, "hist", history)).cte("history"),
        insert(audit_log_table).values(_values(audit_log_table, "audit", audit)).cte("audit"),
    )


def draft_parameters(*, invoice: dict[str, Any], lines: list[dict[str, Any]], history: dict[str, Any],
                     audit: dict[str, Any]) -> dict[str, Any]:
    params = {f"inv_{k}": v for k, v in invoice.items()}
    params.update({f"line_{k}": [line[k] for line in lines] for k in lines[0]})
    params.update({f"hist_{k}": v for k, v in history.items()})
    params.update({f"audit_{k}": v for k, v in audit.items()})
    params["requested_team"] = invoice.get("owning_team")
    return params
