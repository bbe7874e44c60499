"""How `o2c history replay` cuts its rows into the chunks it sends (o2c_cli.history_stages), and how it tells the
position of a resumable run while chunks finish in any order."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence

from o2c_collections.history.schemas import HistoryRow


class InOrder:
    """Chunks finish in any order; ``done(n)`` is told the rows of the leading windows whose chunks all finished, in
    file order (a window: consecutive rows of the file, split among its chunks; by default one chunk each)."""

    def __init__(self, windows: Sequence[Sequence[Sequence[HistoryRow]]], done: Callable[[int], None]) -> None:
        self.done = done
        self.sizes = [sum(len(chunk) for chunk in window) for window in windows]
        self.left = [len(window) for window in windows]
        self.window_of = [n for n, window in enumerate(windows) for _ in window]
        self.lead = 0

    @classmethod
    def of_chunks(cls, parts: Sequence[Sequence[HistoryRow]], done: Callable[[int], None]) -> InOrder:
        return cls([[part] for part in parts], done)

    def finished(self, index: int) -> None:
        """Chunk ``index`` (counted over every window's chunks, in order) finished."""
        self.left[self.window_of[index]] -= 1
        while self.lead < len(self.sizes) and self.left[self.lead] == 0:
            self.done(self.sizes[self.lead])
            self.lead += 1


def chunked(rows: Sequence[HistoryRow], size: int) -> list[Sequence[HistoryRow]]:
    return [rows[start:start + size] for start in range(0, len(rows), size)]


def by_payer(rows: Sequence[HistoryRow], *, size: int, lanes: int) -> list[list[Sequence[HistoryRow]]]:
    """Windows of consecutive rows, each split by payer into at most ``lanes`` chunks (a payer's rows all in one
    chunk, in file order); a window ends when one of its chunks has ``size`` rows. Booking a chunk locks every open
    item of its payers; the chunks of a window never share a payer, so the chunks in flight together (one a lane) do
    not wait for each other's locks. A window is consecutive rows, so a resumed run's position stays a row."""
    windows: list[list[Sequence[HistoryRow]]] = []
    split: list[list[HistoryRow]] = [[] for _ in range(lanes)]
    for row in rows:
        lane = split[zlib.crc32(row.customer_id.encode()) % lanes]
        lane.append(row)
        if len(lane) == size:
            windows.append([chunk for chunk in split if chunk])
            split = [[] for _ in range(lanes)]
    if any(split):
        windows.append([chunk for chunk in split if chunk])
    return windows
