"""Light commands stay light (issue 15 item 6): `o2c token` and `o2c --help` import neither the database, the
broker nor the web stack, and every lazily imported command still loads and runs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from o2c_cli.main import O2cGroup, app

HEAVY = ("sqlalchemy", "aiokafka", "fastapi", "asyncpg", "httpx", "alembic")

PROBE = """
import json, sys
from o2c_cli.main import app
sys.argv = ["o2c", *json.loads(sys.argv[1])]
try:
    app()
except SystemExit:
    pass
sys.stderr.write("\\nMODULES=" + json.dumps(sorted(sys.modules)))
"""


def imported_by(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert "MODULES=" in done.stderr, done.stderr
    return set(json.loads(done.stderr.rsplit("MODULES=", 1)[1]))


@pytest.mark.parametrize("args", [("token", "--role", "admin"), ("--help",), ("services",)])
def test_light_commands_import_no_database_broker_or_web_stack(args: tuple[str, ...]) -> None:
    modules = imported_by(*args)
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
    assert heavy == [], f"`o2c {' '.join(args)}` imported {heavy[:10]}"


def test_every_lazy_command_loads_and_the_group_lists_them_all() -> None:
    runner = CliRunner()
    listing = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert listing.exit_code == 0, listing.output
    for name, spec in O2cGroup.lazy.items():
        assert name in listing.output and spec.help[:30] in listing.output
        try:
            __import__(spec.module)
        except ModuleNotFoundError:  # another track's module not yet in the tree
            continue
        own = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"})
        assert own.exit_code == 0, (name, own.output)
        assert "Usage:" in own.output and f" {name} " in own.output


@pytest.mark.parametrize("command", [("outbox", "republish"), ("kpi", "rebuild"), ("dlq", "replay")])
def test_a_lazy_group_keeps_its_sub_commands_even_when_it_has_one(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f" {' '.join(command)} " in result.output


def test_a_token_is_still_minted() -> None:
    result = CliRunner().invoke(app, ["token", "--subject", "alice", "--role", "collector"])
    assert result.exit_code == 0, result.output
    assert result.output.count(".") == 2  # header.claims.signature
