"""The generated event catalog: committed files are current, and the AsyncAPI document is complete."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from o2c_common.events import REGISTRY, TOPICS, Event
from o2c_common.events.catalog import (
    asyncapi_document,
    check_catalog,
    main,
    payload_schemas,
    render_catalog,
    write_catalog,
)
from o2c_common.events.examples import example_payload

REPO_DOCS = Path(__file__).resolve().parents[4] / "docs"
HEADERS = ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "content-type",
           "ce_correlationid", "ce_traceparent", "o2c_history"]  # fmt: skip


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_committed_catalog_is_current() -> None:
    """Fails when a contract changed without `python -m o2c_common.events.catalog` being run."""
    assert REPO_DOCS.is_dir()
    stale = check_catalog(REPO_DOCS)
    assert stale == [], f"stale event catalog, run `python -m o2c_common.events.catalog`: {stale}"


def test_check_finds_changed_missing_and_obsolete_files(tmp_path: Path) -> None:
    written = write_catalog(tmp_path)
    events = tmp_path / "events"
    assert events / "asyncapi.json" in written
    assert check_catalog(tmp_path) == []
    assert write_catalog(tmp_path) == []  # nothing rewritten when current

    changed = events / "schemas" / "o2c.invoice.issued.v1.json"
    changed.write_text(changed.read_text().replace('"amount"', '"amount_usd"'))
    missing = events / "schemas" / "o2c.payment.applied.v1.json"
    missing.unlink()
    obsolete = events / "schemas" / "o2c.invoice.teleported.v1.json"
    obsolete.write_text("{}\n")
    assert check_catalog(tmp_path) == sorted([changed, missing, obsolete])
    assert main(["--check", "--docs-dir", str(tmp_path)]) == 1

    assert main(["--docs-dir", str(tmp_path)]) == 0
    assert not obsolete.exists()
    assert check_catalog(tmp_path) == []
    assert main(["--check", "--docs-dir", str(tmp_path)]) == 0


def test_output_is_deterministic_with_sorted_keys() -> None:
    first, second = render_catalog(), render_catalog()
    assert first == second
    for name, text in first.items():
        if name.endswith(".json"):
            assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_json_schema_per_registered_type_in_serialization_mode() -> None:
    schemas = payload_schemas()
    assert list(schemas) == sorted(REGISTRY)
    for ce_type, schema in schemas.items():
        assert schema["title"] == REGISTRY[ce_type].__name__
        assert schema["x-o2c-event"]["ce_type"] == ce_type
        assert schema.get("additionalProperties", True) is not False  # tolerant reader: additions allowed
    applied = schemas["o2c.payment.applied.v1"]
    application = applied["$defs"]["CashApplication"]["properties"]["amount"]
    assert application["type"] == "string"
    assert applied["properties"]["confidence"]["type"] == "string"


@pytest.mark.parametrize("ce_type", sorted(REGISTRY))
def test_example_payloads_match_their_schema_patterns_and_required_fields(ce_type: str) -> None:
    schema = payload_schemas()[ce_type]
    wire = json.loads(Event.new(example_payload(REGISTRY[ce_type]), source="/s").value())
    assert set(schema["required"]) <= set(wire) <= set(schema["properties"])
    for name, prop in schema["properties"].items():
        for option in prop.get("anyOf", [prop]):
            if "pattern" in option and wire[name] is not None:
                assert re.search(option["pattern"], wire[name]), (name, wire[name], option["pattern"])


def test_asyncapi_document_has_a_channel_per_topic_and_a_message_per_type() -> None:
    doc = asyncapi_document()
    assert doc["asyncapi"] == "3.0.0"
    assert {channel["address"] for channel in doc["channels"].values()} == set(TOPICS.values())
    assert set(doc["components"]["messages"]) == set(REGISTRY)
    for ce_type, model in REGISTRY.items():
        channel = doc["channels"][model.producer]
        assert channel["address"] == model.topic()
        assert ce_type in channel["messages"]
        message = _resolve(doc, channel["messages"][ce_type]["$ref"])
        assert message["name"] == ce_type
        assert _resolve(doc, message["payload"]["$ref"])["title"] == model.__name__
        key = message["bindings"]["kafka"]["key"]
        assert model.aggregate_field in key["description"]
        example = message["examples"][0]
        assert example["headers"]["ce_type"] == ce_type
        assert example["headers"]["ce_subject"] == str(example["payload"][model.aggregate_field])


def test_asyncapi_documents_the_cloudevents_headers() -> None:
    doc = asyncapi_document()
    headers = doc["components"]["schemas"]["CloudEventsHeaders"]
    assert set(headers["properties"]) == set(HEADERS)
    assert headers["properties"]["ce_specversion"]["const"] == "1.0"
    for message in doc["components"]["messages"].values():
        refs = _refs(message["headers"])
        assert "#/components/schemas/CloudEventsHeaders" in refs


def test_asyncapi_has_a_send_operation_per_producer_referencing_its_channel_messages() -> None:
    doc = asyncapi_document()
    sends = {op["channel"]["$ref"]: op for op in doc["operations"].values() if op["action"] == "send"}
    assert set(sends) == {f"#/channels/{producer}" for producer in TOPICS}
    for channel_ref, operation in sends.items():
        produced = {ce for ce, model in REGISTRY.items() if f"#/channels/{model.producer}" == channel_ref}
        prefix = f"{channel_ref}/messages/"
        assert {m["$ref"].removeprefix(prefix) for m in operation["messages"]} == produced


def test_every_reference_in_the_asyncapi_document_resolves() -> None:
    doc = asyncapi_document()
    refs = _refs(doc)
    assert refs
    for ref in refs:
        _resolve(doc, ref)
