"""`o2c dev --demo` loads the ECB rates of its demo data into kpi over the API (idempotently), so the reviews and
GET /kpis/consolidated have rates from the first start."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from o2c_cli.demo import DEMO_RATES, DemoReport, load_demo_rates
from o2c_cli.testing import ServiceHarness, bearer
from o2c_kpi.fx import ecb

pytestmark = pytest.mark.integration


class OnTheLoop(httpx.BaseTransport):
    """A blocking transport for the demo loader's ``httpx.Client`` (run in a thread) that sends each request
    through the in-process kpi app on the test's event loop."""

    def __init__(self, client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
        self.client, self.loop = client, loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            answer = await self.client.request(request.method, str(request.url), content=request.read(),
                                               headers=request.headers)
            return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

        return asyncio.run_coroutine_threadsafe(send(), self.loop).result()


async def test_the_demo_rates_are_a_real_ecb_file_loaded_once(api: ServiceHarness) -> None:
    parsed = ecb.parse(DEMO_RATES.read_bytes())
    assert parsed.format == "xml" and len(parsed.rates) == 30
    kpi = httpx.Client(transport=OnTheLoop(api.client, asyncio.get_running_loop()), base_url="http://kpi",
                       headers=bearer("demo-loader", "admin"))
    first, second = await asyncio.to_thread(load_demo_rates, kpi), await asyncio.to_thread(load_demo_rates, kpi)
    assert (first, second) == (30, 0)
    rates = (await api.client.get("/fx/rates", params={"on": "2026-12-03", "limit": 200},
                                  headers=bearer("vic", "viewer"))).json()["items"]
    usd = next(r for r in rates if r["quote"] == "USD")
    assert (usd["rate"], usd["rate_date"], usd["imported_by"]) == ("1.0705", "2024-06-28", "demo-loader")
    assert "30 FX reference rates" in DemoReport(rates_loaded=30).describe(portal=False)
    assert DemoReport().describe(portal=False) == "demo data already loaded: nothing added"
