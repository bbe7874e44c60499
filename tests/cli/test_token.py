"""`o2c token` mints only what the services accept: no lifetime above O2C_JWT_MAX_LIFETIME_S."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from o2c_cli.main import app


def test_a_token_longer_than_the_services_accept_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("O2C_JWT_MAX_LIFETIME_S", raising=False)
    refused = CliRunner(env={"COLUMNS": "300"}).invoke(app, ["token", "--ttl-minutes", str(13 * 60)])
    assert refused.exit_code == 2 and "longer than the services accept" in refused.output
    minted = CliRunner().invoke(app, ["token", "--ttl-minutes", "60", "--role", "viewer"])
    assert minted.exit_code == 0, minted.output
    assert minted.output.strip().count(".") == 2
