"""A review's money KPIs consolidated in a reporting currency (``?currency=EUR``) with the FX rates held as data
(``o2c_kpi.fx``): each currency converted at its latest rate on or before the period's evaluation day, then added;
a currency without a rate is left out and named, never guessed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from o2c_common.tx import Tx
from o2c_kpi.fx.service import consolidated
from o2c_kpi.kpis.schemas import KpiValue, Period, Scope, Unit
from o2c_kpi.kpis.service import compute


@dataclass
class Rates:
    """What the page says about the conversion: the newest rate date used and the currencies without a rate."""

    currency: str
    rate_date: date | None = None
    missing: set[str] = field(default_factory=set)


async def values(tx: Tx, *, names: Sequence[str], period: Period, scope: Scope, rates: Rates | None,
                 record: bool = False) -> list[KpiValue]:
    """The KPIs ``names`` of ``period``: per currency, or with the money ones summed in ``rates.currency``
    (``record``: the rate date and the currencies without a rate noted in ``rates``: the review's own period)."""
    if rates is None:
        return await compute(tx, names=names, period=period, scope=scope)
    read = await consolidated(tx, names=names, period=period, scope=scope, to=rates.currency)
    if record:
        rates.rate_date = read.rate_date
        rates.missing.update(read.missing_currencies)
    # the review's period names what it left out; an earlier period's partial sum would draw a false arrow
    money = [KpiValue(name=v.name, value=v.value if record or not v.missing else None, unit=Unit.MONEY,
                      currency=v.currency, dimension=v.dimension,
                      note=v.note, period_start=read.period_start, period_end=read.period_end, as_of=read.as_of)
             for v in read.values]
    order = {name: i for i, name in enumerate(dict.fromkeys(names))}
    return sorted([*money, *read.other_values], key=lambda v: (order[v.name], v.currency or "", v.dimension or ""))
