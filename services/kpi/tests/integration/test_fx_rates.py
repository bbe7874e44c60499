"""FX rates as data on real PostgreSQL: the ECB file in its published forms (daily XML, historical CSV and ZIP)
imported over the API, idempotently; the rates in force on a day; hand-set rates with If-Match; bad files refused
whole with the line or element at fault; and the converter (cross rates through the euro, rounding, missing
currencies) that consolidation uses."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from o2c_cli.testing import ServiceHarness, bearer, problem
from o2c_kpi.fx.service import converter
from services.kpi.tests.integration.conftest import VIEWER, transactions

pytestmark = pytest.mark.integration
DATA = Path(__file__).resolve().parents[1] / "data" / "ecb"
SUPERVISOR = bearer("sue", "ar_supervisor")
FEED = bearer("ecb-feed", "integration")
XML = (DATA / "eurofxref-daily.xml").read_bytes()
HIST = (DATA / "eurofxref-hist.csv").read_bytes()


def zipped(name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


async def upload(api: ServiceHarness, content: bytes, headers: dict[str, str] = SUPERVISOR) -> dict:
    response = await api.client.post("/fx/rates/ecb", content=content, params={"filename": "eurofxref"},
                                     headers={**headers, "Content-Type": "application/octet-stream"})
    return {"status": response.status_code, **response.json()}


async def in_force(api: ServiceHarness, on: str) -> dict[str, dict]:
    response = await api.client.get("/fx/rates", params={"on": on, "limit": 200}, headers=VIEWER)
    assert response.status_code == 200, response.text
    return {r["quote"]: r for r in response.json()["items"]}


async def test_the_daily_xml_is_stored_once_and_read_back_as_the_rates_in_force(api: ServiceHarness) -> None:
    first = await upload(api, XML)
    assert first["status"] == 200, first
    assert (first["format"], first["first_date"], first["last_date"], first["days"]) == (
        "xml", "2024-06-28", "2024-06-28", 1)
    assert (first["rates"], first["inserted"], first["updated"], first["unchanged"]) == (30, 30, 0, 0)
    assert "USD" in first["currencies"] and "EUR" not in first["currencies"]

    again = await upload(api, XML, headers=FEED)  # idempotent: the same file stores nothing new
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 30)
    assert await api.scalar("SELECT count(*) FROM fx_rates") == 30

    sunday = await in_force(api, "2024-06-30")  # no ECB rates on weekends: Friday's are in force
    assert sunday["USD"] == {**sunday["USD"], "base": "EUR", "rate": "1.0705", "rate_date": "2024-06-28",
                             "source": "ecb", "imported_by": "sue"}
    assert Decimal(sunday["GBP"]["rate"]) == Decimal("0.84638")
    assert await in_force(api, "2024-06-27") == {}  # nothing before the first rate
    assert await api.outbox_types() == ["fx.rates_changed"]  # the second import changed nothing
    event = json.loads(bytes((await api.rows("SELECT payload FROM outbox"))[0][0]))
    assert {k: event[k] for k in ("fx_key", "source", "first_date", "inserted", "updated", "changed_by")} == {
        "fx_key": "fx:EUR", "source": "ecb", "first_date": "2024-06-28", "inserted": 30, "updated": 0,
        "changed_by": "sue"}
    audit = await api.rows("SELECT actor, action, entity_id FROM audit_log ORDER BY id")
    assert [tuple(a) for a in audit] == [("sue", "fx.rates_imported", "ecb:2024-06-28..2024-06-28"),
                                         ("ecb-feed", "fx.rates_imported", "ecb:2024-06-28..2024-06-28")]


async def test_the_historical_csv_and_its_zip_skip_the_n_a_blanks(api: ServiceHarness) -> None:
    csv = await upload(api, HIST)
    assert (csv["format"], csv["days"], csv["first_date"], csv["last_date"]) == ("csv", 5, "2014-08-19",
                                                                                 "2014-08-25")
    assert (csv["rates"], csv["inserted"]) == (5 * 32, 5 * 32)  # 41 columns, 9 of them N/A (CYP, EEK, …)
    assert "CYP" not in csv["currencies"] and "RUB" in csv["currencies"]
    archive = await upload(api, zipped("eurofxref-hist.csv", HIST))
    assert (archive["format"], archive["inserted"], archive["updated"], archive["unchanged"]) == ("zip", 0, 0, 160)

    saturday = await in_force(api, "2014-08-23")
    assert (saturday["USD"]["rate"], saturday["USD"]["rate_date"]) == ("1.3267", "2014-08-22")
    page = await api.client.get("/fx/rates", params={"on": "2014-08-23", "limit": 2}, headers=VIEWER)
    assert [r["quote"] for r in page.json()["items"]] == ["AUD", "BGN"] and page.json()["next_cursor"]


async def test_a_corrected_ecb_rate_replaces_the_stored_one(api: ServiceHarness) -> None:
    await upload(api, HIST)
    corrected = HIST.replace(b"2014-08-25,1.32,", b"2014-08-25,1.3201,")
    result = await upload(api, corrected)
    assert (result["inserted"], result["updated"], result["unchanged"]) == (0, 1, 159)
    assert (await in_force(api, "2014-08-25"))["USD"]["rate"] == "1.3201"


BAD_FILES = [
    (XML.replace(b"rate='1.0705'", b"rate='1,0705'"),
     {"line": 9, "element": '<Cube currency="USD" rate="1,0705">', "detail": "rate '1,0705' is not a positive number"}),
    (XML.replace(b"currency='JPY'", b"currency='yen'"), {"line": 10}),
    (XML.replace(b"time='2024-06-28'", b"time='28.06.2024'"), {"line": 8}),
    (XML.replace(b"</gesmes:Envelope>", b""), {"line": 42}),
    (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>\n'
     b'<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01">&lol2;</gesmes:Envelope>',
     {"line": 1, "detail": "a DOCTYPE is not accepted in an ECB rates file"}),
    (b"<rates><rate/></rates>", {"line": 1, "element": "<rates>"}),
    (XML.split(b"\t\t\t<Cube currency")[0] + b"\t\t</Cube>\n\t</Cube>\n</gesmes:Envelope>\n",
     {"line": 8, "detail": "the file holds no rates (its <Cube time=…> elements are empty)"}),
    (b"", {"line": 1}),
    (HIST.replace(b"2014-08-21,", b"21/08/2014,"), {"line": 4}),
    (HIST.replace(b",0.8003,", b",-0.8003,"), {"line": 3, "detail": "GBP rate '-0.8003' is not a positive number"}),
    (b"Day,USD\n2014-08-25,1.32\n", {"line": 1}),
    (zipped("a.csv", HIST)[:-30], {}),
    (b"PK\x03\x04" + b"\0" * 40, {}),
]


async def test_a_bad_file_is_refused_whole_naming_the_fault(api: ServiceHarness) -> None:
    for content, fault in BAD_FILES:
        response = await api.client.post("/fx/rates/ecb", content=content,
                                         headers={**SUPERVISOR, "Content-Type": "application/octet-stream"})
        body = problem(response, 422)
        assert body["type"].endswith("invalid-ecb-file"), body
        assert body["errors"][0] == {**body["errors"][0], **fault}, body
    assert await api.scalar("SELECT count(*) FROM fx_rates") == 0


async def test_two_csvs_in_a_zip_and_a_viewer_are_refused(api: ServiceHarness) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.csv", HIST)
        archive.writestr("b.csv", HIST)
    body = problem(await api.client.post("/fx/rates/ecb", content=buffer.getvalue(), headers=SUPERVISOR), 422)
    assert "holds 2 CSV file(s)" in body["detail"]
    problem(await api.client.post("/fx/rates/ecb", content=XML, headers=VIEWER), 403)
    problem(await api.client.put("/fx/rates/2024-06-28/USD", json={"rate": "1.07"}, headers=VIEWER), 403)


async def test_a_hand_set_rate_needs_if_match_to_change_and_survives_an_import(api: ServiceHarness) -> None:
    path = "/fx/rates/2024-06-28/USD"
    problem(await api.client.put(path, json={"rate": "1.0700"}, headers=SUPERVISOR), 428)  # neither header
    problem(await api.client.put(path, json={"rate": "1.0700"}, headers={**SUPERVISOR, "If-Match": '"x:1"'}), 412)
    created = await api.client.put(path, json={"rate": "1.0700", "reason": "treasury rate"},
                                   headers={**SUPERVISOR, "If-None-Match": "*"})
    assert created.status_code == 200, created.text
    exists = problem(await api.client.put(path, json={"rate": "1.0701"},
                                          headers={**SUPERVISOR, "If-None-Match": "*"}), 412)
    assert exists["detail"] == "a rate of USD on 2024-06-28 is stored already: change it with If-Match"
    assert (created.json()["source"], created.json()["rate"]) == ("manual", "1.07")
    problem(await api.client.put(path, json={"rate": "1.0701"}, headers=SUPERVISOR), 428)
    problem(await api.client.put(path, json={"rate": "1.0701"}, headers={**SUPERVISOR, "If-Match": '"x:1"'}), 412)
    changed = await api.client.put(path, json={"rate": "1.0701"},
                                   headers={**SUPERVISOR, "If-Match": created.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != created.headers["ETag"]
    bad = problem(await api.client.put("/fx/rates/2024-06-28/usd", json={"rate": "0"},
                                       headers={**SUPERVISOR, "If-None-Match": "*"}), 422)
    assert bad["errors"]

    result = await upload(api, XML)  # the ECB says 1.0705: the hand-set rate stays
    assert (result["inserted"], result["unchanged"], result["kept_manual"]) == (29, 1, 1)
    usd = (await in_force(api, "2024-06-28"))["USD"]
    assert (usd["rate"], usd["source"]) == ("1.0701", "manual")
    assert await api.outbox_types() == ["fx.rates_changed"] * 3  # created, changed, the import's 29 new rates
    audit = await api.rows("SELECT action, entity_id, reason FROM audit_log WHERE action = 'fx.rate_set' ORDER BY id")
    assert [tuple(a) for a in audit] == [("fx.rate_set", "EUR/USD/2024-06-28", "treasury rate"),
                                         ("fx.rate_set", "EUR/USD/2024-06-28", None)]


async def test_the_converter_crosses_through_the_euro_and_names_what_it_cannot_convert(
        api: ServiceHarness) -> None:
    await upload(api, XML)
    await upload(api, HIST)
    async with transactions(api.db).begin("system:test") as tx:
        to_jpy = await converter(tx, to="JPY", on=date(2024, 6, 30))
        to_eur = await converter(tx, to="EUR", on=date(2024, 6, 30))
        old = await converter(tx, to="USD", on=date(2014, 8, 24))
        before_any = await converter(tx, to="EUR", on=date(2000, 1, 1))
    assert to_jpy.on == date(2024, 6, 28) and old.on == date(2014, 8, 22)
    # USD→JPY = EUR→JPY / EUR→USD = 171.94 / 1.0705 = 160.61653432975…; JPY has no minor unit (half-up)
    assert to_jpy.rate("USD") == Decimal("160.6165343298")
    assert to_jpy.convert(Decimal("1000.00"), "USD") == Decimal("160617")
    assert to_jpy.convert(Decimal("5"), "JPY") == Decimal("5")
    # 1000 USD in EUR = 1000 / 1.0705 = 934.1429…; 250 GBP in EUR = 250 / 0.84638 = 295.3756…
    assert to_eur.convert(Decimal("1000"), "USD") == Decimal("934.14")
    assert to_eur.convert(Decimal("250.00"), "GBP") == Decimal("295.38")
    assert to_eur.convert(Decimal("12.34"), "EUR") == Decimal("12.34") and to_eur.rate("EUR") == Decimal(1)
    assert to_eur.rate_date("USD") == date(2024, 6, 28)
    # RUB has 2014 rates only (the ECB stopped in 2022): ten years old on the day, so not used but named as stale;
    # XYZ has none at all
    assert to_eur.rate_date("RUB") == date(2014, 8, 25)
    assert to_eur.convert(Decimal("10"), "RUB") is None and to_eur.stale == {"RUB": date(2014, 8, 25)}
    assert to_eur.convert(Decimal("10"), "XYZ") is None and to_eur.rate("ABC") is None
    assert to_eur.missing == {"RUB", "XYZ", "ABC"} and to_jpy.missing == set()
    assert old.convert(Decimal("10"), "RUB") is not None and old.stale == {}  # on 2014-08-24 it was current
    # 2014-08-22: EUR→USD 1.3267, EUR→GBP 0.8003: 100 GBP = 100 * 1.3267 / 0.8003 = 165.775… USD
    assert old.convert(Decimal("100"), "GBP") == Decimal("165.78")
    assert before_any.on is None and before_any.convert(Decimal("1"), "USD") is None
    assert before_any.missing == {"USD"}
