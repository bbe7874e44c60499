"""`o2c kpi fx import FILE`: the upload in chunks with its progress against the real kpi app on PostgreSQL, the
summary line, and a refused file's faults printed line by line with exit code 2."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from o2c_cli import kpi as kpi_cli
from o2c_cli.main import app
from o2c_cli.testing import ServiceHarness, bearer

pytestmark = pytest.mark.integration
DATA = Path(__file__).resolve().parents[1] / "data" / "ecb"


async def test_the_upload_reports_its_progress_and_the_import(api: ServiceHarness,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kpi_cli, "UPLOAD_CHUNK", 500)
    content = (DATA / "eurofxref-hist.csv").read_bytes()
    sent: list[int] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api.app), base_url="http://kpi",
                                 headers=bearer("sue", "ar_supervisor")) as client:
        summary = await kpi_cli.upload_rates(client, content, filename="eurofxref-hist.csv", on_sent=sent.append)
        assert sent == [*range(500, len(content), 500), len(content)]
        assert kpi_cli.describe_import("eurofxref-hist.csv", summary) == (
            "eurofxref-hist.csv (csv): 160 rates of 32 currencies, 5 days 2014-08-19 to 2014-08-25: 160 new, "
            "0 changed, 0 unchanged")
        with pytest.raises(kpi_cli.RatesRefused) as refused:
            await kpi_cli.upload_rates(client, content.replace(b"2014-08-21,", b"21.08.2014,"), filename="bad.csv")
        assert refused.value.problem["errors"][0]["line"] == 4
    assert await api.scalar("SELECT imported_by FROM fx_rates LIMIT 1") == "sue"


def test_a_refused_file_prints_each_fault_and_exits_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    async def refuse(content: bytes, **_: object) -> dict:
        raise kpi_cli.RatesRefused({"detail": "the XML file has 1 fault(s); nothing was imported", "errors": [
            {"line": 9, "element": '<Cube currency="USD" rate="1,0705">', "detail": "rate '1,0705' is not a "
                                                                                    "positive number"}]})

    async def accept(content: bytes, **_: object) -> dict:
        return {"format": "xml", "first_date": "2024-06-28", "last_date": "2024-06-28", "days": 1,
                "currencies": ["USD", "JPY"], "rates": 2, "inserted": 0, "updated": 0, "unchanged": 2,
                "kept_manual": 1}

    path = tmp_path / "eurofxref-daily.xml"
    path.write_bytes(b"<x/>")
    runner = CliRunner(env={"COLUMNS": "200"})
    monkeypatch.setattr(kpi_cli, "_import_rates", refuse)
    result = runner.invoke(app, ["kpi", "fx", "import", str(path), "--token", "t"])
    assert result.exit_code == 2, result.output
    assert ("line 9 <Cube currency=\"USD\" rate=\"1,0705\"> rate '1,0705' is not a positive number"
            in " ".join(result.output.split()))  # the console wraps at the terminal's width
    monkeypatch.setattr(kpi_cli, "_import_rates", accept)
    result = runner.invoke(app, ["kpi", "fx", "import", str(path), "--token", "t"])
    assert result.exit_code == 0, result.output
    assert ("eurofxref-daily.xml (xml): 2 rates of 2 currencies, 2024-06-28: 0 new, 0 changed, 2 unchanged, "
            "1 hand-set kept") in " ".join(result.output.split())
