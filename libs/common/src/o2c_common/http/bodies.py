"""A JSON request body must be what the OpenAPI document says it is, not what pydantic's lax mode can read.

pydantic turns ``0`` into ``False``, ``false`` into ``0``, ``"5"`` into ``5`` and ``1`` into ``Decimal(1)``, so a
request the document declares invalid (money is a decimal *string*) was accepted. The edge checks each JSON body
against its operation's schema in the service's own, completed document (``o2c_common.http.openapi``) with a
JSON Schema validator (jsonschema-rs, draft 2020-12, formats as annotations). A body that does not conform and
that the route's own validation would accept is a 422 listing each offending value by JSON pointer, its input
never echoed; a body the route refuses anyway gets the route's own 422, which also names what only its
validators know (an e-mail address, a rule across fields). Validators are compiled once per operation.
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import structlog

from o2c_common.errors.handlers import json_pointer

log = structlog.get_logger("o2c.http")

MAX_ERRORS = 20


class BodySchemas:
    """The request-body validators of one app, by (path template, method)."""

    def __init__(self) -> None:
        self._validators: dict[tuple[str, str], Any] = {}

    def errors(self, app: Any, *, path: str, method: str, document: Any) -> list[dict[str, Any]]:
        """Problem ``errors`` items for ``document`` against the operation's JSON body schema (none: conforms)."""
        key = (path, method.lower())
        if key not in self._validators:
            self._validators[key] = _compile(app, *key)
        validator = self._validators[key]
        if validator is None:
            return []
        items = []
        for error in validator.iter_errors(document):
            items.append(_item(error))
            if len(items) >= MAX_ERRORS:
                break
        return items


def lax_accepts(route: Any, document: Any) -> bool:
    """True when the route's body fields, validated as FastAPI does (pydantic's lax mode), accept ``document``."""
    fields = list(getattr(route.dependant, "body_params", []) or [])
    if not fields:
        return True
    embedded = len({field.name for field in fields}) > 1 or bool(getattr(fields[0].field_info, "embed", False))
    if not embedded:
        return not fields[0].validate(document, {}, loc=("body",))[1]
    if not isinstance(document, dict):
        return False
    for field in fields:
        if field.alias not in document:
            if field.field_info.is_required():
                return False
            continue
        if field.validate(document[field.alias], {}, loc=("body", field.alias))[1]:
            return False
    return True


def _compile(app: Any, path: str, method: str) -> Any:
    openapi = getattr(app, "openapi", None)
    if openapi is None:
        return None
    spec = openapi()
    operation = spec.get("paths", {}).get(path, {}).get(method) or {}
    schema = ((operation.get("requestBody") or {}).get("content", {}).get("application/json") or {}).get("schema")
    if not schema:
        return None
    root = {**schema, "components": spec.get("components", {})}
    try:
        return jsonschema_rs.Draft202012Validator(root, validate_formats=False)
    except Exception as exc:  # a schema the validator cannot compile: pydantic alone judges this route's body
        log.warning("body_schema_not_compiled", path=path, method=method, error=str(exc))
        return None


def _item(error: Any) -> dict[str, Any]:
    keyword = str(error.schema_path[-1]) if error.schema_path else "schema"
    kind = error.kind
    if keyword == "type" and hasattr(kind, "types"):
        detail = f"must be of type {' or '.join(str(t) for t in kind.types)}"
    elif keyword == "required" and hasattr(kind, "property"):
        detail = f"the member {kind.property!r} is required"
    elif keyword == "additionalProperties" and hasattr(kind, "unexpected"):
        detail = f"unexpected members: {', '.join(sorted(map(str, kind.unexpected)))}"
    else:
        detail = f"does not satisfy the documented {keyword!r} rule"
    return {"detail": detail, "code": f"schema_{keyword}", "location": "body",
            "pointer": json_pointer(list(error.instance_path))}
