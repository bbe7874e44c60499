"""Runs inside the deploy tools venv (.tools/deploy, see toolchain.py), which has PyYAML, jsonschema and the
Kubernetes schemas of kubernetes-validate; prints JSON for the tests, which run in the project's venv.

    python validate.py yaml FILE...      -> [document of each file]          (yaml.safe_load)
    python validate.py k8s < rendered    -> {"objects": [...], "errors": [...]}

``k8s`` validates every object: built-in kinds against the strict Kubernetes schemas (unknown fields are errors),
custom resources against crd_schemas/<group>_<version>_<Kind>.json; an object with neither is an error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

KUBERNETES_VERSION = "1.33"
CRD_SCHEMAS = Path(__file__).resolve().parent / "crd_schemas"
BUILTIN_GROUPS = {"", "apps", "batch", "policy", "autoscaling", "networking.k8s.io", "rbac.authorization.k8s.io"}


def _crd_schema(api_version: str, kind: str) -> dict[str, Any] | None:
    group, _, version = api_version.rpartition("/")
    path = CRD_SCHEMAS / f"{group}_{version}_{kind}.json"
    return json.loads(path.read_text()) if path.exists() else None


def validate(obj: dict[str, Any]) -> str | None:
    api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
    group = api_version.rpartition("/")[0]
    if group in BUILTIN_GROUPS:
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            return f"{'/'.join(str(p) for p in exc.path)}: {exc.message}"
        except kubernetes_validate.SchemaNotFoundError as exc:
            return exc.message
        return None
    schema = _crd_schema(api_version, kind)
    if schema is None:
        return f"no schema for {api_version} {kind} in {CRD_SCHEMAS}"
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(obj), key=lambda e: list(e.path))
    return "; ".join(f"{'/'.join(str(p) for p in e.path)}: {e.message}" for e in errors) or None


def main() -> None:
    mode = sys.argv[1]
    if mode == "yaml":
        json.dump([yaml.safe_load(Path(p).read_text()) for p in sys.argv[2:]], sys.stdout)
    elif mode == "k8s":
        objects = [o for o in yaml.safe_load_all(sys.stdin) if o]
        errors = []
        for obj in objects:
            error = validate(obj)
            if error:
                errors.append({"kind": obj.get("kind"), "name": obj.get("metadata", {}).get("name"), "error": error})
        json.dump({"objects": objects, "errors": errors}, sys.stdout)
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
