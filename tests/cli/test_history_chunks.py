"""Issue 16 (history): `o2c history replay` splits each window of payments by payer, so the chunks in flight at once
never lock the same payer's open items, and a resumed run's position is still a row of the file: it moves only past
windows whose every chunk finished."""

from __future__ import annotations

import dataclasses
import random
import zlib
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from o2c_cli.history_chunks import InOrder, by_payer
from o2c_collections.history.schemas import HistoryRow


def rows(n: int, *, customers: int, seed: int = 7) -> list[HistoryRow]:
    rng = random.Random(seed)
    return [HistoryRow(line=i + 2, country_code="US", customer_id=f"C-{rng.randrange(customers)}",
                       invoice_number=f"N-{i}", invoice_date=date(2015, 1, 1), due_date=date(2015, 1, 31),
                       amount=Decimal("10.00"), disputed=False, settled_date=date(2015, 1, 20)) for i in range(n)]


def lane(chunk: Sequence[HistoryRow]) -> int:
    (only,) = {zlib.crc32(row.customer_id.encode()) % 3 for row in chunk}  # one lane a chunk
    return only


def test_each_window_is_consecutive_rows_split_by_payer_into_chunks_that_share_no_payer() -> None:
    given = rows(1000, customers=40)
    windows = by_payer(given, size=50, lanes=3)
    start = 0
    for window in windows:
        lines = sorted(row.line for chunk in window for row in chunk)
        assert lines == [row.line for row in given[start:start + len(lines)]]  # consecutive rows of the file
        start += len(lines)
        assert len(window) <= 3
        assert any(len(chunk) == 50 for chunk in window) or window is windows[-1]  # ends when a chunk is full
        for chunk in window:
            assert 0 < len(chunk) <= 50
            assert [row.line for row in chunk] == sorted(row.line for row in chunk)  # file order kept
        for one in window:
            for other in window:
                if lane(one) != lane(other):
                    assert {r.customer_id for r in one}.isdisjoint(r.customer_id for r in other)
    assert start == len(given)
    assert len({lane(chunk) for chunk in windows[0]}) == 3


def test_the_position_moves_only_past_windows_whose_every_chunk_finished() -> None:
    windows = by_payer(rows(300, customers=30), size=50, lanes=3)
    told: list[int] = []
    order = InOrder(windows, told.append)
    chunks = [(w, n) for w, window in enumerate(windows) for n, _ in enumerate(window)]
    first_window = [i for i, (w, _) in enumerate(chunks) if w == 0]
    second_window = [i for i, (w, _) in enumerate(chunks) if w == 1]
    for index in second_window:  # a later window done first: the position waits for the first
        order.finished(index)
    assert told == []
    for index in first_window[:-1]:
        order.finished(index)
    assert told == []  # one chunk of the first window still running
    order.finished(first_window[-1])
    assert len(windows[0]) == 3 and told == [sum(map(len, windows[0])), sum(map(len, windows[1]))]  # in file order
    assert told[0] >= 50  # a window ends when one of its chunks is full


def test_one_chunk_a_window_reports_each_chunk_in_order() -> None:
    parts = [rows(3, customers=2), rows(2, customers=2)]
    told: list[int] = []
    order = InOrder.of_chunks(parts, told.append)
    order.finished(1)
    assert told == []
    order.finished(0)
    assert told == [3, 2]


def test_a_replayed_payment_is_its_invoices_amount_in_the_currencys_minor_units() -> None:
    """Invoicing rounds the replayed invoice's line to the currency; the payment pays what it came to (collections
    refuses an amount finer than the currency's minor unit)."""
    from o2c_cli.history_stages import payment_body

    [row] = rows(1, customers=1)
    yen = dataclasses.replace(row, amount=Decimal("12345.67"))
    body = payment_body(yen, legal_entity="JP01", currency="JPY")
    assert (body["amount"], body["remittance"][0]["amount"]) == ("12346", "12346")
    assert payment_body(yen, legal_entity="US01", currency="USD")["amount"] == "12345.67"
