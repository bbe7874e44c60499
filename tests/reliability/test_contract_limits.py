"""Contract limits match every consumer's storage (issue 15 item 3): no consumer accepts a value another must
refuse. An invoice number longer than collections' varchar(40) was once accepted by kpi and refused by
collections, and kpi's open AR differed from collections' by that invoice ever since.

For every service, every event type its consumers handle and every field of that contract: where the service stores
a column of the same name with a bounded length, the contract must bound the field (its maxLength, or a pattern
for codes) to at most that length; a shorter contract limit is fine, a longer one or none is the bug."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from sqlalchemy import String

from o2c_cli.services import SERVICES
from o2c_common.events import contracts as _contracts  # noqa: F401  (registers every payload model)
from o2c_common.events.base import EventPayload

# Fields that carry an identifier or code stored as-is by consumers; other same-named columns (a title, a note)
# belong to tables no event fills and are left out.
STORED_AS_IS = ("invoice_number", "customer_id", "owning_team", "team", "legal_entity", "currency", "region",
                "po_number")


def consumed_models(name: str) -> set[type[EventPayload]]:
    info = SERVICES[name]
    main = importlib.import_module(f"{info.package}.main")
    if not hasattr(main, "consumers"):
        return set()
    settings = getattr(importlib.import_module(f"{info.package}.config"), f"{name.capitalize()}Settings")()
    return {model for spec in main.consumers(settings) for _, handlers in spec.readers for model in handlers}


def bounded_columns(name: str) -> dict[str, list[tuple[str, int]]]:
    base = importlib.import_module(f"{SERVICES[name].package}.models").Base
    out: dict[str, list[tuple[str, int]]] = {}
    for table in base.metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, String) and column.type.length is not None:
                out.setdefault(column.name, []).append((table.name, column.type.length))
    return out


def contract_limit(model: type[EventPayload], field: str) -> tuple[int | None, str | None]:
    schema: dict[str, Any] = model.model_json_schema()["properties"][field]
    options = [schema, *schema.get("anyOf", [])]
    lengths = [o["maxLength"] for o in options if "maxLength" in o]
    patterns = [o["pattern"] for o in options if "pattern" in o]
    return (max(lengths) if lengths else None), (patterns[0] if patterns else None)

# Same-named columns of tables that no event fills (written through the owning service's API only).
NOT_FROM_EVENTS = {("sla_definitions", "description")}


def mismatches(name: str) -> list[str]:
    columns = bounded_columns(name)
    found = []
    for model in sorted(consumed_models(name), key=lambda m: m.ce_type()):
        for field in model.model_fields:
            if field not in columns:
                continue
            limit, pattern = contract_limit(model, field)
            for table, length in columns[field]:
                if (table, field) in NOT_FROM_EVENTS:
                    continue
                if limit is not None and limit > length:
                    found.append(f"{model.ce_type()}.{field} allows {limit} characters, {name}.{table}.{field} "
                                 f"stores {length}")
                elif limit is None and pattern is None and field in STORED_AS_IS:
                    found.append(f"{model.ce_type()}.{field} has no length limit, {name}.{table}.{field} stores "
                                 f"{length}")
    return sorted(set(found))


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_consumed_field_fits_the_consumers_storage(service: str) -> None:
    assert mismatches(service) == []


def test_the_check_finds_the_invoice_number_mismatch_it_was_written_for(monkeypatch: pytest.MonkeyPatch) -> None:
    from o2c_common.events.contracts.invoicing import InvoiceIssued

    wide = InvoiceIssued.model_json_schema()
    wide["properties"]["invoice_number"] = {"type": "string", "maxLength": 64}
    monkeypatch.setattr(InvoiceIssued, "model_json_schema", classmethod(lambda cls, *a, **k: wide))
    assert any(m.startswith("o2c.invoice.issued.v1.invoice_number allows 64 characters, collections.")
               for m in mismatches("collections"))
