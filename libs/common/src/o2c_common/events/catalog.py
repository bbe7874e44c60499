"""The event catalog: JSON Schema of every payload and an AsyncAPI 3.0 document, built from the registry.

``python -m o2c_common.events.catalog`` writes ``docs/events/``; ``--check`` exits 1 and lists the
files that are stale (different, missing or no longer generated). Output is deterministic (sorted
keys, fixed indentation), so the committed files can be compared byte for byte.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic.json_schema import models_json_schema

from o2c_common.events import contracts as _contracts  # noqa: F401  (registers every payload model)
from o2c_common.events.base import REGISTRY, TOPICS, EventPayload
from o2c_common.events.envelope import CONTENT_TYPE, SPEC_VERSION, Event
from o2c_common.events.examples import EXAMPLE_TIME, example_event_id, example_payload

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
CATALOG_VERSION = "1.0.0"
HEADERS_SCHEMA = "CloudEventsHeaders"
EVENTS_DIR = "events"
ASYNCAPI_FILE = "asyncapi.json"
SCHEMAS_DIR = "schemas"
README_FILE = "README.md"

_HEADER_PROPERTIES: dict[str, dict[str, Any]] = {
    "ce_specversion": {"type": "string", "const": SPEC_VERSION, "description": "CloudEvents version."},
    "ce_id": {
        "type": "string",
        "format": "uuid",
        "description": "Unique event id; consumers record it (inbox) and skip ids already seen.",
    },
    "ce_source": {
        "type": "string",
        "description": "URI reference of the producing service.",
        "examples": ["/o2c/invoicing"],
    },
    "ce_type": {
        "type": "string",
        "pattern": r"^o2c\.[a-z_]+\.[a-z_]+\.v[0-9]+$",
        "description": "Event type and version; selects the payload schema.",
    },
    "ce_time": {
        "type": "string",
        "format": "date-time",
        "description": "When the event was created (RFC 3339, UTC). Business dates are in the payload.",
    },
    "ce_subject": {"type": "string", "description": "The aggregate id; equal to the record key."},
    "content-type": {"type": "string", "const": CONTENT_TYPE, "description": "datacontenttype of the value."},
    "ce_correlationid": {
        "type": "string",
        "description": "Correlation id of the request or event that caused this event.",
    },
    "ce_traceparent": {
        "type": "string",
        "pattern": r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
        "description": "W3C trace context of the producing span.",
    },
    "o2c_history": {
        "type": "string",
        "const": "1",
        "description": "Present on the events of imported history (o2c history replay), which a reader of today's "
                       "work only may skip unread; never on today's work (a consumer refuses it there).",
    },
}
_REQUIRED_HEADERS = ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "content-type"]


def _models() -> list[tuple[str, type[EventPayload]]]:
    return sorted(REGISTRY.items())


def _summary(model: type[EventPayload]) -> str:
    return (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else ""


def _key_description(model: type[EventPayload]) -> str:
    return (
        f"Record key: the payload's `{model.aggregate_field}` (aggregate id), "
        "so one aggregate's events stay ordered in one partition."
    )


def payload_schema(model: type[EventPayload]) -> dict[str, Any]:
    """Standalone JSON Schema (2020-12, serialization mode) of one payload model, with its envelope facts."""
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        **model.model_json_schema(mode="serialization"),
        "x-o2c-event": {
            "ce_type": model.ce_type(),
            "producer": model.producer,
            "topic": model.topic(),
            "key": model.aggregate_field,
        },
    }


def payload_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schema of every registered payload, keyed by ce_type (``o2c.invoice.issued.v1``)."""
    return {ce_type: payload_schema(model) for ce_type, model in _models()}


def _headers_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "CloudEvents 1.0 attributes as Kafka headers (binary content mode), UTF-8 values.",
        "properties": _HEADER_PROPERTIES,
        "required": _REQUIRED_HEADERS,
        "additionalProperties": {"type": "string"},
    }


def _message(ce_type: str, model: type[EventPayload], payload_ref: dict[str, Any], key: dict[str, Any]) -> Any:
    return {
        "name": ce_type,
        "title": model.__name__,
        "summary": _summary(model),
        "contentType": CONTENT_TYPE,
        "headers": {
            "allOf": [
                {"$ref": f"#/components/schemas/{HEADERS_SCHEMA}"},
                {
                    "type": "object",
                    "properties": {
                        "ce_type": {"type": "string", "const": ce_type},
                        "ce_subject": {**key, "description": _key_description(model)},
                    },
                },
            ]
        },
        "payload": payload_ref,
        "correlationId": {"location": "$message.header#/ce_correlationid"},
        "examples": [_example(model)],
        "bindings": {
            "kafka": {
                "key": {**key, "description": _key_description(model)},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _example(model: type[EventPayload]) -> dict[str, Any]:
    event = Event.new(
        example_payload(model),
        source=f"/o2c/{model.producer}",
        time=EXAMPLE_TIME,
        event_id=example_event_id(model),
        correlation_id="3f0c2a9d-5b1e-4e7a-8c64-1d2e3f4a5b6c",
    )
    return {
        "name": "example",
        "headers": {name: value.decode() for name, value in event.headers()},
        "payload": json.loads(event.value()),
    }


def _key_schema(schemas: dict[str, Any], model: type[EventPayload]) -> dict[str, Any]:
    prop = dict(schemas[model.__name__]["properties"][model.aggregate_field])
    for annotation in ("title", "description", "examples"):
        prop.pop(annotation, None)
    return prop


def asyncapi_document() -> dict[str, Any]:
    """AsyncAPI 3.0.0 document: a channel per topic, a message per event type, a send operation per producer."""
    models = _models()
    refs, top = models_json_schema(
        [(model, "serialization") for _, model in models], ref_template="#/components/schemas/{model}"
    )
    schemas: dict[str, Any] = dict(top.get("$defs", {}))
    if HEADERS_SCHEMA in schemas:
        raise RuntimeError(f"a payload model may not be named {HEADERS_SCHEMA}")
    schemas[HEADERS_SCHEMA] = _headers_schema()
    messages: dict[str, Any] = {}
    for ce_type, model in models:
        if schemas.get(model.__name__, {}).get("title") != model.__name__:
            raise RuntimeError(f"two payload models are named {model.__name__}; names must be unique")
        messages[ce_type] = _message(ce_type, model, refs[(model, "serialization")], _key_schema(schemas, model))
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for producer, topic in sorted(TOPICS.items()):
        produced = [ce_type for ce_type, model in models if model.producer == producer]
        channels[producer] = {
            "address": topic,
            "title": f"{producer} events",
            "description": f"Every event the {producer} service publishes, keyed by aggregate id.",
            "messages": {ce_type: {"$ref": f"#/components/messages/{ce_type}"} for ce_type in produced},
            "bindings": {"kafka": {"topic": topic, "bindingVersion": KAFKA_BINDING_VERSION}},
        }
        operations[f"send_{producer}_events"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{producer}"},
            "title": f"{producer} publishes its events",
            "summary": f"The {producer} service's outbox relay publishes to {topic} (at least once).",
            "messages": [{"$ref": f"#/channels/{producer}/messages/{ce_type}"} for ce_type in produced],
        }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "o2c events",
            "version": CATALOG_VERSION,
            "description": (
                "Order-to-Cash platform events: CloudEvents 1.0 in Kafka binary mode (attributes in ce_* "
                "headers, JSON payload as the value, key = aggregate id). Money is a decimal string with "
                "an ISO 4217 currency; instants are RFC 3339 UTC. Delivery is at least once: "
                "deduplicate on ce_id. Generated from libs/common (o2c_common.events); do not edit."
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "kafka": {
                "host": "{bootstrap}",
                "protocol": "kafka",
                "description": "The Kafka cluster (KAFKA_BOOTSTRAP_SERVERS).",
                "variables": {"bootstrap": {"default": "localhost:9092"}},
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def _dump(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _readme() -> str:
    lines = [
        "# Event catalog",
        "",
        "Generated by `python -m o2c_common.events.catalog` from the payload models in",
        "`libs/common/src/o2c_common/events/contracts/`; do not edit by hand (a test fails when stale).",
        "",
        f"- [`{ASYNCAPI_FILE}`]({ASYNCAPI_FILE}): AsyncAPI {ASYNCAPI_VERSION}, topics, headers, keys, payloads.",
        f"- [`{SCHEMAS_DIR}/`]({SCHEMAS_DIR}/): one JSON Schema (2020-12) per event type.",
        "",
        "Each record is one CloudEvent in Kafka's binary mode, except on bulk paths: a record with the header",
        "`o2c_bundle` (the member count) holds several events of its `ce_type`, each a whole CloudEvent, framed as",
        "`o2c_common.events.bundle` describes; `o2c_common.events.bundle.unbundle` reads such a record as its events.",
        "Events of imported history (`o2c history replay`) carry `o2c_history: 1`, their bundles too: a reader of",
        "today's work only skips them by that header.",
        "",
        "| ce_type | topic | key | meaning |",
        "|---|---|---|---|",
    ]
    for ce_type, model in _models():
        link = f"[`{ce_type}`]({SCHEMAS_DIR}/{ce_type}.json)"
        lines.append(f"| {link} | `{model.topic()}` | `{model.aggregate_field}` | {_summary(model)} |")
    return "\n".join(lines) + "\n"


def render_catalog() -> dict[str, str]:
    """Every catalog file's content, keyed by its path relative to ``docs/events/`` (POSIX separators)."""
    files = {ASYNCAPI_FILE: _dump(asyncapi_document()), README_FILE: _readme()}
    for ce_type, schema in payload_schemas().items():
        files[f"{SCHEMAS_DIR}/{ce_type}.json"] = _dump(schema)
    return dict(sorted(files.items()))


def _obsolete(events_dir: Path, expected: dict[str, str]) -> list[Path]:
    schemas_dir = events_dir / SCHEMAS_DIR
    if not schemas_dir.is_dir():
        return []
    return sorted(path for path in schemas_dir.glob("*.json") if f"{SCHEMAS_DIR}/{path.name}" not in expected)


def check_catalog(docs_dir: Path) -> list[Path]:
    """Files under ``docs_dir/events`` that differ from, are missing from, or are not in the generated catalog."""
    events_dir = Path(docs_dir) / EVENTS_DIR
    expected = render_catalog()
    stale = [
        events_dir / rel
        for rel, content in expected.items()
        if not (events_dir / rel).is_file() or (events_dir / rel).read_text(encoding="utf-8") != content
    ]
    return sorted(stale + _obsolete(events_dir, expected))


def write_catalog(docs_dir: Path) -> list[Path]:
    """Write the catalog into ``docs_dir/events`` (removing schemas of types no longer registered).

    Returns the files written or removed; unchanged files are not rewritten.
    """
    events_dir = Path(docs_dir) / EVENTS_DIR
    expected = render_catalog()
    changed: list[Path] = []
    for rel, content in expected.items():
        path = events_dir / rel
        if path.is_file() and path.read_text(encoding="utf-8") == content:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        changed.append(path)
    for path in _obsolete(events_dir, expected):
        path.unlink()
        changed.append(path)
    return sorted(changed)


def _default_docs_dir() -> Path:
    for directory in (Path.cwd(), *Path.cwd().parents):
        if (directory / "libs" / "common" / "pyproject.toml").is_file():
            return directory / "docs"
    raise SystemExit("cannot find the repository root from here: pass --docs-dir")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m o2c_common.events.catalog", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 and list stale files; write nothing")
    parser.add_argument("--docs-dir", type=Path, help="the repository's docs/ directory (default: found from cwd)")
    args = parser.parse_args(argv)
    docs_dir: Path = args.docs_dir or _default_docs_dir()
    if args.check:
        stale = check_catalog(docs_dir)
        for path in stale:
            print(f"stale: {path}", file=sys.stderr)
        if stale:
            print("run: python -m o2c_common.events.catalog", file=sys.stderr)
        return 1 if stale else 0
    for path in write_catalog(docs_dir):
        print(f"{'removed' if not path.exists() else 'wrote'}: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
