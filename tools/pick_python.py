"""The interpreter ``make install`` builds ``.venv`` with (prints its path).

CPython built with profile-guided and link-time optimization used 14-24 % less CPU per event, row and write here
than an unoptimized build of the same version (docs/performance.md, "The interpreter"). Distributions build their
``/usr/bin/python3.x`` so, as do python.org's installers and the official Docker images (``--enable-optimizations``
in their configure arguments); a version manager's build from source often is not (pyenv without
``PYTHON_CONFIGURE_OPTS``). So the first supported interpreter (3.11 to 3.13) that is one of those is taken; else the
first ``python3`` on the PATH. ``make install PYTHON=...`` chooses another. Runs under any Python 3 (the bootstrap's),
standard library only.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

CANDIDATES = ("python3.11", "python3.12", "python3.13", "python3")
DISTRIBUTION_BIN = Path("/usr/bin")
PROBE = (
    "import sys, sysconfig; "
    "print(int((3, 11) <= sys.version_info[:2] < (3, 14)), "
    "int('--enable-optimizations' in (sysconfig.get_config_var('CONFIG_ARGS') or '')))"
)


def probe(path: str) -> tuple[bool, bool] | None:
    """(supported version, built with --enable-optimizations), or None if it does not run."""
    try:
        out = subprocess.run([path, "-c", PROBE], capture_output=True, text=True, timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    supported, optimized = out.split()
    return supported == "1", optimized == "1"


def candidates() -> list[str]:
    found = [shutil.which(name) for name in CANDIDATES]
    found += [str(DISTRIBUTION_BIN / name) for name in CANDIDATES if (DISTRIBUTION_BIN / name).exists()]
    return list(dict.fromkeys(str(Path(p)) for p in found if p))


def pick() -> str:
    fallback = None
    for path in candidates():
        answer = probe(path)
        if answer is None or not answer[0]:
            continue
        if answer[1] or Path(path).parent == DISTRIBUTION_BIN:
            return path
        fallback = fallback or path
    return fallback or "python3"


if __name__ == "__main__":
    sys.stdout.write(pick() + "\n")
