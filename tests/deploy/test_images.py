"""The Dockerfile: one target per service, multi-stage from uv.lock, non-root, health-checked, on the code's port."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .support import Code, Stage, parse_dockerfile
from .toolchain import ROOT


def _json_args(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list), f"exec form expected (JSON array), got {args!r}"
    return value


def test_every_service_has_a_target_built_from_the_lock_file_without_dev_dependencies(
    code: Code, dockerfile: dict[str, Stage]
) -> None:
    for service in code.services.values():
        assert service.name in dockerfile, f"no target {service.name!r} in the Dockerfile"
        target = dockerfile[service.name]
        copies = target.all("COPY")
        builder = next((c.split()[0].removeprefix("--from=") for c in copies if c.startswith("--from=")), None)
        assert builder in dockerfile, f"{service.name}: the venv is not copied from a build stage"
        runs = " ".join(dockerfile[builder].all("RUN"))
        assert f"--package o2c-{service.name}" in runs, f"{builder} does not install o2c-{service.name}"
        for flag in ("uv sync", "--locked", "--no-dev", "--no-editable"):
            assert flag in runs, f"{builder}: `{flag}` missing from the uv sync"
        assert any(f"services/{service.name}/migrations" in c for c in copies), f"{service.name}: no migrations"
        assert any(f"services/{service.name}/alembic.ini" in c for c in copies), f"{service.name}: no alembic.ini"


def test_final_images_run_as_an_unprivileged_user_without_build_tools(
    code: Code, dockerfile: dict[str, Stage]
) -> None:
    runtime = dockerfile["runtime"]
    assert runtime.all("USER") == ["10001:10001"], "the runtime stage must switch to the fixed non-root uid"
    runs = " ".join(runtime.all("RUN"))
    assert "uninstall" in runs and "pip" in runs, "pip should leave the final image"
    for tool in ("apt-get install", "gcc", "build-essential", "pip install", "uv "):
        assert tool not in runs, f"the runtime stage installs build tooling ({tool})"
    builders = {s.name for s in dockerfile.values() if any("uv sync" in r for r in s.all("RUN"))}
    assert builders, "no build stage runs uv sync"
    for service in code.services.values():
        target = dockerfile[service.name]
        assert target.base == "runtime", f"{service.name} must build on the runtime stage, not {target.base}"
        assert not target.all("RUN"), f"{service.name}: the final stage runs commands (installs something?)"
        assert not target.all("USER"), f"{service.name}: USER is set once, in the runtime stage"
    # builders and runtime start from the same interpreter image, so the copied venv's python paths hold
    external = {s.base for s in dockerfile.values() if s.base not in dockerfile}
    assert external == {"${PYTHON_IMAGE}"}, f"build and runtime stages must share the Python base image: {external}"


def test_command_port_and_health_check_agree_with_the_code(code: Code, dockerfile: dict[str, Stage]) -> None:
    for service in code.services.values():
        target = dockerfile[service.name]
        cmd = _json_args(target.all("CMD")[-1])
        assert cmd[:3] == ["uvicorn", service.app_factory, "--factory"], cmd
        assert cmd[cmd.index("--port") + 1] == str(service.port), f"{service.name}: CMD port is not {service.port}"
        assert cmd[cmd.index("--host") + 1] == "0.0.0.0"
        assert target.all("EXPOSE") == [str(service.port)]
        (health,) = target.all("HEALTHCHECK")
        url = re.search(r"http://127\.0\.0\.1:(\d+)(/[\w/]+)", health)
        assert url, f"{service.name}: HEALTHCHECK without an http URL: {health}"
        assert int(url.group(1)) == service.port
        assert url.group(2) == "/health/live" and url.group(2) in service.routes


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_context(dockerfile: dict[str, Stage]) -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    sources = {c.split()[0] for s in dockerfile.values() for c in s.all("COPY") if not c.startswith("--from")}
    for source in sources:
        parts = Path(source).parts
        hidden = {"/".join(parts[:i]) for i in range(1, len(parts) + 1)} & ignored
        assert not hidden, f"the Dockerfile copies {source}, which .dockerignore leaves out ({hidden})"
        assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which does not exist"
    for path in (".git", ".venv", ".tools", ".local", ".env"):
        assert path in ignored, f"{path} would be sent to the Docker daemon"
    for needed in ("libs", "services", "uv.lock", "pyproject.toml"):
        assert needed not in ignored


def test_parser_sees_continuations_and_stages() -> None:
    stages = parse_dockerfile("FROM a AS b\n# c\nRUN x \\\n  y\nFROM b AS c\nCMD [\"z\"]\n")
    assert [(s.name, s.base) for s in stages] == [("b", "a"), ("c", "b")]
    assert stages[0].all("RUN") == ["x y"]
