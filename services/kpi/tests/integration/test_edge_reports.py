"""kpi report downloads whatever the team is called (issue 15: a non-Latin-1 team name made the CSV a 500) and
report dates held to the bounds the services compute with (a date near 9999 was a 500)."""

from __future__ import annotations

from urllib.parse import unquote

from o2c_cli.testing import ServiceHarness, bearer, problem

ADMIN = bearer("ada", "admin")


async def test_a_csv_report_of_a_team_named_beyond_latin_1(api: ServiceHarness) -> None:
    for team in ("Équipe Nord", "团队-东", 'quote"team'):
        answer = await api.client.get("/reports/qbr", params={"date": "2026-03-31", "team": team, "format": "csv"},
                                      headers=ADMIN)
        assert answer.status_code == 200, answer.text
        disposition = answer.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="qbr-')
        assert disposition.count('"') == 2  # the ASCII name is quoted once, whatever the team holds
        if "filename*=" in disposition:
            assert team in unquote(disposition.split("filename*=UTF-8''", 1)[1])
        assert answer.text.strip()


async def test_report_dates_out_of_range_are_422(api: ServiceHarness) -> None:
    for params in ({"date": "9999-12-31"}, {"date": "0001-01-01"}):
        assert problem(await api.client.get("/reports/weekly-cadence", params=params, headers=ADMIN), 422)
    snapshots = await api.client.get("/reports/daily-snapshots", params={"since": "9999-12-30", "until": "9999-12-31"},
                                     headers=ADMIN)
    assert problem(snapshots, 422)["errors"][0]["parameter"] == "since"
