"""What the deployment tests compare: the code (settings, ports, routes, topics) and parsed deployment files."""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from o2c_common.settings import ServiceSettings, settings_env_prefix

SERVICE_NAMES = ("invoicing", "collections", "kpi", "escalation", "workforce")
OVERLAYS = ("dev", "prod")
SHARED_PREFIX = "O2C_"


@dataclass(frozen=True)
class ServiceCode:
    """One service as its code defines it."""

    name: str
    settings_cls: type[ServiceSettings]
    port: int
    routes: frozenset[str]
    lanes: tuple[str, ...]
    """Each consumer group's lanes (a group without lanes: one, named as the group): their dead-letter topics."""

    @property
    def prefix(self) -> str:
        return settings_env_prefix(self.settings_cls)

    @property
    def image(self) -> str:
        return f"o2c-{self.name}"

    @property
    def app_factory(self) -> str:
        return f"o2c_{self.name}.main:create_app"

    def env_names(self) -> set[str]:
        """Every environment variable that sets one of its settings (service prefix or the shared O2C_)."""
        return {p + f.upper() for f in self.settings_cls.model_fields for p in (self.prefix, SHARED_PREFIX)}

    def secret_fields(self) -> set[str]:
        return {n for n, f in self.settings_cls.model_fields.items() if f.annotation is SecretStr}


def service_code(name: str) -> ServiceCode:
    config = importlib.import_module(f"o2c_{name}.config")
    main = importlib.import_module(f"o2c_{name}.main")
    settings_cls = next(v for k, v in vars(config).items()
                        if k.endswith("Settings") and isinstance(v, type) and issubclass(v, ServiceSettings)
                        and v is not ServiceSettings)
    settings = settings_cls(_env_file=None)
    app = main.create_app(settings)
    specs = main.consumers(settings) if hasattr(main, "consumers") else []
    return ServiceCode(name=name, settings_cls=settings_cls, port=settings_cls.model_fields["http_port"].default,
                       routes=app_paths(app),
                       lanes=tuple(name for s in specs for name, _ in s.readers))


def app_paths(app: Any) -> frozenset[str]:
    """The paths a FastAPI app serves: its OpenAPI document's and the document itself."""
    return frozenset({*app.openapi()["paths"], app.openapi_url})


@dataclass(frozen=True)
class SimulatorCode:
    settings_cls: type[Any]
    routes: frozenset[str]
    prefix: str = "PORTAL_SIM_"
    app_factory: str = "o2c_invoicing.simulator.app:create_app"

    def env_names(self) -> set[str]:
        return {self.prefix + f.upper() for f in self.settings_cls.model_fields}


@dataclass(frozen=True)
class Code:
    services: dict[str, ServiceCode]
    simulator: SimulatorCode
    event_topics: frozenset[str]
    dead_letter_topics: frozenset[str]

    @property
    def topics(self) -> frozenset[str]:
        return self.event_topics | self.dead_letter_topics

    def service_of_image(self, image: str) -> ServiceCode:
        """The service an image reference (``registry/o2c/o2c-kpi:1.0``, ``o2c-kpi``) belongs to."""
        base = image.rsplit("/", 1)[-1].split("@")[0].split(":")[0]
        matches = [s for s in self.services.values() if s.image == base]
        assert matches, f"image {image!r} is none of the services' images {[s.image for s in self.services.values()]}"
        return matches[0]


@dataclass
class Rendered:
    """One kustomize overlay, rendered and validated."""

    name: str
    objects: list[dict[str, Any]]
    errors: list[dict[str, Any]]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        found = [o for o in self.of_kind(kind) if o["metadata"]["name"] == name]
        assert len(found) == 1, f"{self.name}: expected one {kind} {name}, found {len(found)}"
        return found[0]

    def workloads(self) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """(object, pod spec) of every Deployment and Job."""
        for obj in self.objects:
            if obj["kind"] in ("Deployment", "Job"):
                yield obj, obj["spec"]["template"]["spec"]


# ------------------------------------------------------------------------------------------------ Dockerfile


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, op: str) -> list[str]:
        return [args for o, args in self.instructions if o == op]


def parse_dockerfile(text: str) -> list[Stage]:
    """Stages with their instructions (continuation lines joined, comments dropped)."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    stages: list[Stage] = []
    for line in lines:
        op, _, args = line.partition(" ")
        op = op.upper()
        if op == "FROM":
            m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?", args, re.IGNORECASE)
            assert m, line
            stages.append(Stage(name=(m.group(2) or str(len(stages))), base=m.group(1)))
        elif stages:
            stages[-1].instructions.append((op, args.strip()))
    return stages


# ------------------------------------------------------------------------------------------------ environment


def env_file(path: Path) -> tuple[dict[str, str], set[str]]:
    """(KEY=value lines, keys of commented-out ``# KEY=value`` lines) of a dotenv file."""
    active: dict[str, str] = {}
    documented: set[str] = set()
    for line in path.read_text().splitlines():
        m = re.match(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$", line.strip())
        if not m:
            continue
        if m.group(1):
            documented.add(m.group(2))
        else:
            active[m.group(2)] = m.group(3)
    return active, documented


def interpolate(value: str, variables: dict[str, str]) -> str:
    """docker compose variable interpolation: ${VAR}, ${VAR:-default}, ${VAR:?error}, $$."""

    def one(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        if name in variables and (variables[name] or op not in (":-", ":?")):
            return variables[name]
        if op in (":-", "-"):
            return arg or ""
        if op in (":?", "?"):
            raise AssertionError(f"compose refuses to start without {name}: {arg}")
        return ""

    out = re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}", one, value.replace("$$", "\0"))
    return out.replace("\0", "$")


# ------------------------------------------------------------------------------------------------ Kubernetes env


def secret_placeholder(secret: str, key: str) -> str:
    """What a secretKeyRef stands for in these tests: a value no settings validator takes for a placeholder."""
    return f"from-secret-{secret}-{key}-0123456789abcdef0123456789abcdef"


def container_env(rendered: Rendered, container: dict[str, Any]) -> tuple[dict[str, str], set[str]]:
    """(environment of a container, names only used through ``$(NAME)`` in other values) as Kubernetes builds it:
    envFrom ConfigMaps first, then env in order, secretKeyRefs as placeholders, ``$(NAME)`` expanded."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        assert "secretRef" not in source, "envFrom secretRef hides which settings a Secret sets: use secretKeyRef"
        env.update(rendered.get("ConfigMap", source["configMapRef"]["name"]).get("data", {}))
    referenced: set[str] = set()
    for item in container.get("env", []):
        if "value" in item:
            def expand(m: re.Match[str]) -> str:
                referenced.add(m.group(1))
                assert m.group(1) in env, f"$({m.group(1)}) used before it is defined"
                return env[m.group(1)]

            env[item["name"]] = re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", expand, str(item["value"]))
        elif "secretKeyRef" in item.get("valueFrom", {}):
            ref = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = secret_placeholder(ref["name"], ref["key"])
        elif "configMapKeyRef" in item.get("valueFrom", {}):
            ref = item["valueFrom"]["configMapKeyRef"]
            env[item["name"]] = rendered.get("ConfigMap", ref["name"])["data"][ref["key"]]
        else:
            raise AssertionError(f"unsupported env source {item}")
    return env, referenced


@contextmanager
def environ(env: dict[str, str], clear_prefixes: tuple[str, ...]) -> Iterator[None]:
    """os.environ with every variable under ``clear_prefixes`` removed and ``env`` set, restored afterwards."""
    saved = dict(os.environ)
    try:
        for key in list(os.environ):
            if key.upper().startswith(clear_prefixes):
                del os.environ[key]
        os.environ.update(env)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def settings_from_env(service: ServiceCode, env: dict[str, str]) -> ServiceSettings:
    """The service's settings as its process would build them from ``env`` (and nothing else)."""
    prefixes = (SHARED_PREFIX, *(f"{n.upper()}_" for n in SERVICE_NAMES))
    with environ(env, prefixes):
        return service.settings_cls(_env_file=None)
