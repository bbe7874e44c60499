"""Deterministic example payloads for any registered event type.

Used for the examples in the AsyncAPI document and by tests that need a valid event without
spelling out every field: ``example_payload(InvoiceIssued, amount=Decimal("10.00"))``.
Values are derived from the model and field names only, so the output never changes between runs.
"""

from __future__ import annotations

import types
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import AwareDatetime, BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from o2c_common.events.base import EventPayload

M = TypeVar("M", bound=BaseModel)

EXAMPLE_NAMESPACE = uuid.UUID("6f2c1a8e-0b7d-5c4e-9a31-2d8f5e7b4c10")
EXAMPLE_DATE = date(2024, 3, 15)
EXAMPLE_TIME = datetime(2024, 3, 15, 9, 30, tzinfo=UTC)
EXAMPLE_CURRENCY = "EUR"


def example_payload(model: type[M], *, minimal: bool = False, **overrides: Any) -> M:
    """A valid instance of ``model``: every field filled (or only required ones if ``minimal``)."""
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in overrides:
            values[name] = overrides.pop(name)
        elif not (minimal and not info.is_required()):
            values[name] = _example_value(model, name, info)
    if overrides:
        raise TypeError(f"{model.__name__} has no fields {sorted(overrides)}")
    return model.model_validate(values)


def example_event_id(model: type[EventPayload]) -> uuid.UUID:
    return uuid.uuid5(EXAMPLE_NAMESPACE, f"event:{model.ce_type()}")


def _example_value(model: type[BaseModel], name: str, info: FieldInfo) -> Any:
    adapter: TypeAdapter[Any] = TypeAdapter(info.rebuild_annotation())
    for candidate in _candidates(info.annotation, f"{model.__name__}.{name}", name):
        try:
            return adapter.validate_python(candidate)
        except ValidationError:
            continue
    raise TypeError(f"no example value fits {model.__name__}.{name}")


def _candidates(tp: Any, seed: str, name: str) -> Iterator[Any]:
    origin = get_origin(tp)
    if origin is Annotated:
        yield from _candidates(get_args(tp)[0], seed, name)
    elif origin in (Union, types.UnionType):
        for arm in get_args(tp):
            if arm is not type(None):
                yield from _candidates(arm, seed, name)
    elif origin is Literal:
        yield from get_args(tp)
    elif origin in (tuple, list):
        item = get_args(tp)[0]
        for value in _candidates(item, f"{seed}[0]", name):
            yield (value,)
    elif isinstance(tp, type) and issubclass(tp, BaseModel):
        yield example_payload(tp)
    elif tp is uuid.UUID:
        yield uuid.uuid5(EXAMPLE_NAMESPACE, name if name.endswith("_id") else seed)
    elif tp is bool:
        yield False
    elif tp is int:
        yield from (2, 1, 0)
    elif tp is Decimal:
        yield from (Decimal("1250.00"), Decimal("0.95"), Decimal("1"), Decimal("0"))
    elif tp in (datetime, AwareDatetime):
        yield EXAMPLE_TIME
    elif tp is date:
        yield EXAMPLE_DATE
    elif tp is str:
        yield from (EXAMPLE_CURRENCY, "P2") if name == "currency" else (f"{name}-1", EXAMPLE_CURRENCY)
    else:
        raise TypeError(f"no example values for type {tp!r}")
