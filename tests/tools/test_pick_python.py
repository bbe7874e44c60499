"""The choice of the interpreter ``make install`` builds ``.venv`` on."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tools import pick_python


def fake_python(directory: Path, name: str, *, supported: bool, optimized: bool) -> Path:
    """An executable answering the probe as an interpreter of that kind would."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(f"#!/bin/sh\necho {int(supported)} {int(optimized)}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(a version manager's bin on the PATH, the distribution's bin), both empty."""
    own, distribution = tmp_path / "pyenv", tmp_path / "usr-bin"
    own.mkdir()
    distribution.mkdir()
    monkeypatch.setenv("PATH", str(own))
    monkeypatch.setattr(pick_python, "DISTRIBUTION_BIN", distribution)
    return own, distribution


def test_the_distributions_interpreter_before_an_unoptimized_one_on_the_path(machine: tuple[Path, Path]) -> None:
    own, distribution = machine
    fake_python(own, "python3.11", supported=True, optimized=False)
    chosen = fake_python(distribution, "python3.11", supported=True, optimized=False)
    assert pick_python.pick() == str(chosen)


def test_an_interpreter_configured_with_optimizations_comes_first(machine: tuple[Path, Path]) -> None:
    own, distribution = machine
    chosen = fake_python(own, "python3.12", supported=True, optimized=True)
    fake_python(distribution, "python3.11", supported=True, optimized=False)
    assert pick_python.pick() == str(chosen)


def test_unsupported_versions_are_passed_over(machine: tuple[Path, Path]) -> None:
    own, distribution = machine
    chosen = fake_python(own, "python3", supported=True, optimized=False)
    fake_python(distribution, "python3", supported=False, optimized=True)  # a 3.10 or a 3.14
    assert pick_python.pick() == str(chosen)


def test_python3_when_nothing_answers(machine: tuple[Path, Path]) -> None:
    own, _ = machine
    (own / "python3.11").write_text("not a program")  # not executable: never run
    assert pick_python.pick() == "python3"
