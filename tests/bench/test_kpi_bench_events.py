"""bench.kpi's projection events are an invoice's life as the services write it: the AR read models follow the
ledger's receivable.changed, so a mix without it would measure a projection that writes no AR movement. Its
projection phase, tiny, on a broker of its own: every event handled, the AR movements written (no timing asserted)."""

from __future__ import annotations

import random
from decimal import Decimal

from bench.cpu import CpuMeter
from bench.kpi import make_events, projection_phase
from o2c_cli.localstack import TansuBroker
from o2c_cli.testing import Infra
from o2c_common.events import Event
from o2c_common.events.contracts.collections import PaymentApplied, ReceivableChanged
from o2c_common.events.contracts.invoicing import InvoiceIssued


def test_each_invoice_is_issued_opened_paid_and_closed_in_the_ledger() -> None:
    events = [Event.from_kafka(key, value, headers) for _, key, value, headers in make_events(12, random.Random(1))]
    assert len(events) == 12
    for n in range(0, 12, 4):
        issued, opened, applied, settled = (e.data for e in events[n:n + 4])
        assert isinstance(issued, InvoiceIssued) and isinstance(applied, PaymentApplied)
        assert isinstance(opened, ReceivableChanged) and isinstance(settled, ReceivableChanged)
        assert {opened.invoice_id, settled.invoice_id, applied.applications[0].invoice_id} == {issued.invoice_id}
        assert [(c.sequence, c.kind) for c in (opened, settled)] == [(1, "invoice"), (2, "payment")]
        assert opened.amount == issued.amount == applied.applications[0].amount == -settled.amount
        assert settled.open_amount_after == Decimal(0) and settled.payment_id == applied.payment_id
    assert {e.source for e in events} == {"/o2c/invoicing", "/o2c/collections"}  # each from its producer


async def test_the_projection_phase_handles_every_event_and_writes_the_ar_movements(infra: Infra,
                                                                                     own_broker: TansuBroker) -> None:
    """Then through one and two consumer processes of one group (the scale-out)."""
    alone = Infra(pg_url=infra.pg_url, kafka_bootstrap=own_broker.bootstrap_servers, broker=own_broker)
    assert own_broker.process is not None
    result = await projection_phase(alone, 400, processes=2, servers=CpuMeter({"Tansu": own_broker.process.pid}))
    assert result["events"] == 400 and result["projection_rate"] > 0 and result["raw_consume_rate"] > 0
    assert result["rows"]["receivable_movements"] == 200  # the two ledger entries of each of the 100 invoices
    assert result["rows"]["kpi_ar_daily"] > 0 and result["rows"]["kpi_daily_counts"] > 0
    assert set(result["servers_cpu_us"]) == {"Tansu"} and result["servers_cpu_us"]["Tansu"] >= 0
    assert result["machine_percent"] is not None
    assert [sc["processes"] for sc in result["scale_out"]] == [1, 2]
    for sc in result["scale_out"]:
        assert sc["rate"] > 0 and sc["dead_letters"] == 0
        assert sc["cpu_us"] is None or sc["cpu_us"] > 0  # None: a window shorter than the kernel's CPU tick
        # from the group stable with every process, or left out when too few events were left by then
        assert (sc["stable_rate"] is None) or (sc["stable_rate"] > 0 and 0 <= sc["stable_after"] <= 300)


def test_a_scale_out_run_too_short_for_the_cpu_tick_says_so_instead_of_zero() -> None:
    from bench.kpi import cpu_per_event

    assert cpu_per_event(41.6) == "42 us CPU per event in the consumers"
    assert "not measured (the run was shorter than the kernel's 10-ms tick)" in cpu_per_event(None)
