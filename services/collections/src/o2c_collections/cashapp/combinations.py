"""The bounded search for combinations of open items that sum to a payment (pure; steps, not seconds, bound it, so
the same input always gives the same answer)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from o2c_collections.cashapp.decision import Config, Item


def find_combinations(items: Sequence[Item], target: Decimal, *, config: Config) -> list[list[Item]] | None:
    """Up to two combinations (2..max_size items) of the oldest ``max_items`` items summing to ``target``;
    None when the step budget ran out before the search finished (uniqueness not proven)."""
    pool = sorted(items, key=lambda i: (i.due_date, i.invoice_number))[: config.combination_max_items]
    pool = sorted((i for i in pool if 0 < i.open_amount <= target), key=lambda i: (-i.open_amount, i.invoice_number))
    cents = [int(i.open_amount * 100) for i in pool]
    goal = int(target * 100)
    suffix = [0] * (len(cents) + 1)
    for k in range(len(cents) - 1, -1, -1):
        suffix[k] = suffix[k + 1] + cents[k]
    found: list[list[int]] = []
    steps = 0
    exhausted = False

    def search(start: int, remaining: int, chosen: list[int]) -> None:
        nonlocal steps, exhausted
        if len(found) >= 2 or exhausted:
            return
        for k in range(start, len(cents)):
            steps += 1
            if steps > config.combination_node_budget:
                exhausted = True
                return
            if suffix[k] < remaining:
                return  # the rest cannot reach the goal
            value = cents[k]
            if value > remaining:
                continue
            if value == remaining:
                if len(chosen) >= 1:
                    found.append([*chosen, k])
                    if len(found) >= 2:
                        return
                continue
            if len(chosen) + 1 < config.combination_max_size:
                search(k + 1, remaining - value, [*chosen, k])
                if len(found) >= 2 or exhausted:
                    return

    search(0, goal, [])
    if exhausted and len(found) < 2:
        return None
    return [[pool[k] for k in combo] for combo in found]
