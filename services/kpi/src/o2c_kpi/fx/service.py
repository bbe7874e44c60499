"""FX rates as data and the converter into a reporting currency.

The interface other packages call is :func:`converter` (stable)::

    conv = await converter(tx, to="EUR", on=date(2026, 11, 30))
    conv.convert(Decimal("1070.50"), "USD")   # Decimal("1000.00"), or None when USD (or EUR) has no rate
    conv.rate("USD"), conv.on, conv.missing    # the cross rate, the rate date used, the currencies without one

Every stored rate is an euro rate (units of the currency for 1 EUR). A cross rate goes through the euro:
``rate(C → T) = EUR→T / EUR→C`` (USD→JPY = EUR→JPY / EUR→USD). ``convert`` multiplies the amount by that
quotient at full precision and rounds once, half-up, to the reporting currency's minor unit; ``rate`` shows the
quotient rounded half-even to 10 decimal places. The rate of a currency on a day is its latest rate on or before
that day (the ECB publishes none on weekends and TARGET holidays), unless that rate is more than
:data:`MAX_RATE_AGE` older than the day: then the currency counts as one without a rate (left out and named,
``stale``), so that a currency the ECB stopped publishing, or a hand-set rate nobody renewed, is never used for
years. The ECB's longest gap is four days; a monthly hand-set rate is at most 31 days old.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext

from o2c_common.events.contracts.kpi import FxRatesChanged
from o2c_common.http import Page, PageRequest
from o2c_common.http.etag import make_etag
from o2c_common.money import round_money
from o2c_common.text import money, plain
from o2c_common.tx import Tx
from o2c_kpi.fx import ecb, repository
from o2c_kpi.fx.models import BASE_CURRENCY, FxRate, RateSource
from o2c_kpi.fx.schemas import (
    ConsolidatedRead,
    ConsolidatedValue,
    CurrencyShare,
    ImportRead,
    RateRead,
    RateWrite,
)
from o2c_kpi.kpis import service as kpis
from o2c_kpi.kpis.schemas import KpiValue, Period, Scope, Unit

RATE_PLACES = Decimal(1).scaleb(-10)
MAX_RATE_AGE = timedelta(days=35)
PRECISION = Context(prec=40)


@dataclass
class Converter:
    """Converts into ``to`` with the rates in force on ``day``. ``on`` is the newest rate date among them
    (``None`` when no rate is stored at all); ``missing`` collects every currency asked for that had no rate, or
    only one older than :data:`MAX_RATE_AGE` (those also in ``stale``, with the date of that rate)."""

    to: str
    on: date | None
    euro_rates: Mapping[str, Decimal]  # units of the currency for 1 EUR; EUR itself is 1
    rate_dates: Mapping[str, date] = field(default_factory=dict)
    day: date | None = None
    missing: set[str] = field(default_factory=set)
    stale: dict[str, date] = field(default_factory=dict)

    def _quotient(self, currency: str) -> Decimal | None:
        if currency == self.to:
            return Decimal(1)
        source, target = self.euro_rates.get(currency), self.euro_rates.get(self.to)
        old = {c: d for c in (currency, self.to) if (d := self.rate_dates.get(c)) is not None
               and self.day is not None and self.day - d > MAX_RATE_AGE}
        if source is None or target is None or old:
            self.missing.add(currency)
            self.stale.update(old)
            return None
        with localcontext(PRECISION):
            return target / source

    def rate(self, currency: str) -> Decimal | None:
        """Units of ``to`` for one unit of ``currency`` (10 decimal places), or None without a rate."""
        quotient = self._quotient(currency)
        return None if quotient is None else quotient.quantize(RATE_PLACES, rounding=ROUND_HALF_EVEN)

    def convert(self, amount: Decimal, currency: str) -> Decimal | None:
        """``amount`` of ``currency`` in ``to``, rounded to its minor unit; None when either has no rate (the page
        names the currency instead of guessing)."""
        quotient = self._quotient(currency)
        if quotient is None:
            return None
        with localcontext(PRECISION):
            return round_money(amount * quotient, self.to)

    def rate_date(self, currency: str) -> date | None:
        """The date of the rate used for ``currency`` (its latest on or before the day asked; for a cross rate the
        older of the two euro rates); None for ``to`` itself and without a rate."""
        if currency == self.to:
            return None
        dates = [self.rate_dates.get(c) for c in (currency, self.to) if c != BASE_CURRENCY]
        known = [d for d in dates if d is not None]
        return min(known) if known and len(known) == len(dates) else None


async def converter(tx: Tx, *, to: str, on: date) -> Converter:
    """A converter into ``to`` with every rate in force on ``on``."""
    rows = await repository.in_force(tx.session, base=BASE_CURRENCY, on=on)
    rates = {BASE_CURRENCY: Decimal(1), **{r.quote: r.rate for r in rows}}
    dates = {r.quote: r.rate_date for r in rows}
    return Converter(to=to, on=max(dates.values(), default=None), euro_rates=rates, rate_dates=dates, day=on)


async def rates_page(tx: Tx, *, on: date, page: PageRequest) -> Page[RateRead]:
    return await repository.in_force_page(tx.session, base=BASE_CURRENCY, on=on, page=page,
                                          item=RateRead.model_validate)


def etag(row: FxRate) -> str:
    return make_etag(entity_id=row.id, version=row.version)


def absent_etag(*, day: date, currency: str) -> str:
    """The tag of a rate not stored (version 0): no If-Match a client holds matches it."""
    return make_etag(entity_id=f"{BASE_CURRENCY}/{currency}/{day.isoformat()}", version=0)


async def lock(tx: Tx, *, day: date, currency: str) -> FxRate | None:
    return await repository.get(tx.session, base=BASE_CURRENCY, quote=currency, day=day, for_update=True)


async def put_rate(tx: Tx, row: FxRate | None, *, day: date, currency: str, data: RateWrite) -> FxRate:
    """Set the rate of ``currency`` on ``day`` by hand (audited ``fx.rate_set``; ``fx.rates_changed``)."""
    before = None if row is None else _audit_view(row)
    if row is None:
        row = FxRate(base=BASE_CURRENCY, quote=currency, rate_date=day, version=0)
    row.rate, row.source = data.rate, RateSource.MANUAL.value
    row.imported_at, row.imported_by = tx.now(), tx.actor.subject
    row.version += 1
    await repository.add(tx.session, row)
    await tx.audit("fx.rate_set", entity_type="fx_rate", entity_id=row.id, reason=data.reason, before=before,
                   after=_audit_view(row))
    await tx.emit(FxRatesChanged(fx_key=f"fx:{BASE_CURRENCY}", base=BASE_CURRENCY, source="manual", first_date=day,
                                 last_date=day, currencies=(currency,), inserted=int(before is None),
                                 updated=int(before is not None), changed_by=tx.actor.subject, changed_at=tx.now()))
    return row


def _audit_view(row: FxRate) -> dict[str, str]:
    return {"rate": plain(row.rate), "source": row.source, "version": str(row.version)}


async def import_ecb(tx: Tx, *, content: bytes, filename: str | None = None) -> ImportRead:
    """Store the rates of an ECB file (any of its forms): new rates inserted, ECB rates that changed updated,
    hand-set rates kept; audited ``fx.rates_imported``, and ``fx.rates_changed`` when anything was stored. The
    same file twice stores nothing the second time (and emits nothing)."""
    parsed = ecb.parse(content)
    days = sorted({r.day for r in parsed.rates})
    stored = await repository.stored_between(tx.session, base=BASE_CURRENCY, first=days[0], last=days[-1])
    new: list[repository.Rate] = []
    changed: list[repository.Rate] = []
    kept = 0
    for r in parsed.rates:
        known = stored.get((r.currency, r.day))
        if known is None:
            new.append((r.currency, r.day, r.rate))
        elif known[1] != RateSource.ECB:
            kept += 1  # set by hand: an import never overwrites it
        elif known[0] != r.rate:
            changed.append((r.currency, r.day, r.rate))
    at, by = tx.now(), tx.actor.subject
    inserted = await repository.insert_rates(tx.session, new, base=BASE_CURRENCY, source=RateSource.ECB, at=at, by=by)
    updated = await repository.update_rates(tx.session, changed, base=BASE_CURRENCY, source=RateSource.ECB, at=at,
                                            by=by)
    rows = parsed.rates
    result = ImportRead(format=parsed.format, first_date=days[0], last_date=days[-1], days=len(days),
                        currencies=sorted({r.currency for r in parsed.rates}), rates=len(rows), inserted=inserted,
                        updated=updated, unchanged=len(rows) - inserted - updated, kept_manual=kept)
    await tx.audit("fx.rates_imported", entity_type="fx_rates", entity_id=f"ecb:{days[0]}..{days[-1]}",
                   reason=filename, after=result.model_dump(mode="json"))
    if inserted or updated:
        await tx.emit(FxRatesChanged(fx_key=f"fx:{BASE_CURRENCY}", base=BASE_CURRENCY, source="ecb",
                                     first_date=days[0], last_date=days[-1], currencies=tuple(result.currencies),
                                     inserted=inserted, updated=updated, changed_by=tx.actor.subject,
                                     changed_at=tx.now()))
    return result


async def consolidated(tx: Tx, *, names: Sequence[str], period: Period, scope: Scope, to: str) -> ConsolidatedRead:
    """The KPIs ``names`` with the money ones summed across currencies in ``to`` at the rates in force on the
    period's ``as_of`` day: each currency converted and rounded to ``to``'s minor unit, then the parts added.
    A currency without a rate is left out of the sum and named (``missing``, ``note``), never guessed."""
    values = await kpis.compute(tx, names=names, period=period, scope=scope)
    conv = await converter(tx, to=to, on=period.at)
    groups: dict[tuple[str, str | None], list[KpiValue]] = {}
    other: list[KpiValue] = []
    for v in values:
        if v.unit == Unit.MONEY and v.currency:
            groups.setdefault((v.name, v.dimension), []).append(v)
        else:
            other.append(v)
    money_values = [_consolidate(conv, name, dimension, parts) for (name, dimension), parts in groups.items()]
    return ConsolidatedRead(period_kind=period.kind, period_start=period.start, period_end=period.end,
                            as_of=period.at, scope=_scope(scope), currency=to, rate_date=conv.on,
                            missing_currencies=sorted(conv.missing), values=money_values, other_values=other)


def _consolidate(conv: Converter, name: str, dimension: str | None, parts: list[KpiValue]) -> ConsolidatedValue:
    detail = [CurrencyShare(currency=p.currency or "", value=p.value, rate=conv.rate(p.currency or ""),
                            rate_date=conv.rate_date(p.currency or ""),
                            converted=_converted(conv, p))
              for p in parts]
    converted = [d.converted for d in detail if d.converted is not None]
    left_out = [d for d in detail if d.converted is None and d.value is not None]
    return ConsolidatedValue(name=name, unit=Unit.MONEY, currency=conv.to, dimension=dimension,
                             value=round_money(sum(converted, Decimal(0)), conv.to) if converted else None,
                             missing=[d.currency for d in left_out],
                             note=_left_out_note(conv, left_out, parts[0].as_of), detail=detail)


def _left_out_note(conv: Converter, left_out: list[CurrencyShare], as_of: date) -> str | None:
    """Why each currency left out of a sum is: no rate at all, or only one too old to use."""
    reasons: dict[str, list[str]] = {}
    for d in left_out:
        old = conv.stale.get(d.currency) or conv.stale.get(conv.to)
        reason = (f"the latest rate, of {old.isoformat()}, is more than {MAX_RATE_AGE.days} days before "
                  f"{as_of.isoformat()}" if old else f"no rate to {conv.to} on or before {as_of.isoformat()}")
        reasons.setdefault(reason, []).append(money(d.value, d.currency))
    return "; ".join(f"leaves out {', '.join(amounts)}: {reason}" for reason, amounts in reasons.items()) or None


def _converted(conv: Converter, part: KpiValue) -> Decimal | None:
    """``part`` in the reporting currency; nothing is zero in every currency, rate or not."""
    if part.value is None:
        return None
    if part.value == 0:
        return round_money(Decimal(0), conv.to)
    return conv.convert(part.value, part.currency or "")


def _scope(scope: Scope) -> dict[str, str | None]:
    return {"legal_entity": scope.legal_entity, "currency": scope.currency, "customer_id": scope.customer_id,
            "team": scope.team}
