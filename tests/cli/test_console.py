"""A command's console takes the terminal width of the moment it prints, not the one seen at import."""

from __future__ import annotations

import pytest

from o2c_cli.console import err, out


@pytest.mark.parametrize("console", [out, err])
def test_the_width_is_read_when_printing(console, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert console.width == 80
    monkeypatch.setenv("COLUMNS", "200")
    assert console.width == 200
