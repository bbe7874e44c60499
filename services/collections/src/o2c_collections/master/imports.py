"""The account master from a CSV file: checked whole first (every row, every parent and cycle; 422 with every
problem by line and field), then each row written as one API change would be (audited, announced)."""

from __future__ import annotations

import csv
import io
from typing import Any

from pydantic import ValidationError

from o2c_collections.accounts import repository as accounts
from o2c_collections.master import service
from o2c_collections.master.schemas import AccountWrite, ImportSummary, RowError
from o2c_common.errors import ValidationFailed
from o2c_common.tx import Tx

COLUMNS = ("customer_id", "name", "parent_customer_id", "collector", "owning_team", "segment", "language", "region",
           "credit_limit", "credit_currency", "dunning_contacts")
MAX_ROWS = 10_000


def _contacts(cell: str) -> list[dict[str, Any]]:
    """``Anna Meier <anna@x.de>; ap@x.de; cc:boss@x.de``: one contact each (``cc:`` for a copy)."""
    found = []
    for part in (p.strip() for p in cell.split(";")):
        if not part:
            continue
        role = "dunning_copy" if part.lower().startswith("cc:") else "dunning"
        part = part[3:].strip() if role == "dunning_copy" else part
        name, _, email = part.rpartition("<")
        found.append({"name": name.strip() or None, "email": email.rstrip(">").strip(), "role": role}
                     if email.endswith(">") else {"email": part, "role": role})
    return found


def parse(text: str) -> tuple[list[tuple[int, str, AccountWrite]], list[RowError]]:
    """(line, customer id, account) per row, and every problem found."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    errors = [RowError(line=1, field=name, detail="unknown column") for name in header if name not in COLUMNS]
    if "customer_id" not in header:
        errors.append(RowError(line=1, field="customer_id", detail="the file needs a customer_id column"))
    if errors:
        return [], errors
    rows: list[tuple[int, str, AccountWrite]] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if len(rows) + len(errors) >= MAX_ROWS:
            errors.append(RowError(line=line, field="", detail=f"more than {MAX_ROWS} rows"))
            break
        customer = (row.get("customer_id") or "").strip()
        if not customer or len(customer) > 64:
            errors.append(RowError(line=line, field="customer_id", detail="1 to 64 characters"))
            continue
        if customer in seen:
            errors.append(RowError(line=line, field="customer_id", detail=f"also on line {seen[customer]}"))
            continue
        seen[customer] = line
        values: dict[str, Any] = {k: v.strip() for k, v in row.items() if k != "customer_id" and k in COLUMNS
                                  and v is not None and v.strip()}
        if "dunning_contacts" in values:
            values["dunning_contacts"] = _contacts(values["dunning_contacts"])
        try:
            rows.append((line, customer, AccountWrite.model_validate(values)))
        except ValidationError as exc:
            errors.extend(RowError(line=line, field=".".join(str(p) for p in e["loc"]) or "row", detail=e["msg"])
                          for e in exc.errors())
    return rows, errors


async def run(tx: Tx, *, text: str) -> ImportSummary:
    """Checks the whole file, then writes every row (in customer order: parents' rows lock like any other)."""
    rows, errors = parse(text)
    if not errors:
        links = {customer: data.parent_customer_id for _, customer, data in rows if "parent_customer_id"
                 in data.model_fields_set}
        problems = await service.check_parents(tx, links, created={customer for _, customer, _ in rows})
        errors = [RowError(line=line, field="parent_customer_id", detail=problems[customer])
                  for line, customer, _ in rows if customer in problems]
    if errors:
        raise ValidationFailed(f"{len(errors)} problem(s) in the file: nothing was imported",
                               errors=[{"line": e.line, "field": e.field,
                                        "detail": e.detail} for e in errors])
    created = updated = 0
    now = tx.now()
    for _, customer, data in sorted(rows, key=lambda r: r[1]):
        account = await accounts.lock_or_create(tx.session, customer_id=customer)
        new = account.version == 0
        if await service.apply(tx, account, service.changes_of(account, data), now=now):
            created, updated = created + new, updated + (not new)
    return ImportSummary(rows=len(rows), created=created, updated=updated, unchanged=len(rows) - created - updated)

