"""Erlang C for the desk: items arrive at random (Poisson) and wait in one line for the next of N agents.

With traffic A = arrival rate x average handling time (in Erlangs) and N > A agents, the probability that an item
waits is

    C(N, A) = (A^N / N!) * N / (N - A)  /  ( sum_{k<N} A^k / k!  +  (A^N / N!) * N / (N - A) )

and the share of items answered within T is  SL = 1 - C(N, A) * exp(-(N - A) * T / AHT).
The agents required are the smallest N with SL at or above the target and occupancy A/N at or below the cap."""

from __future__ import annotations

import math


def wait_probability(agents: int, load: float) -> float:
    if agents <= load:
        return 1.0
    term, total = 1.0, 1.0  # A^0/0!
    for k in range(1, agents):
        term *= load / k
        total += term
    top = term * load / agents * agents / (agents - load)  # A^N/N! * N/(N-A)
    return top / (total + top)


def service_level(agents: int, load: float, *, handling_minutes: float, answer_minutes: float) -> float:
    if agents <= load:
        return 0.0
    return 1.0 - wait_probability(agents, load) * math.exp(-(agents - load) * answer_minutes / handling_minutes)


def agents_for(load: float, *, handling_minutes: float, answer_minutes: float, target: float,
               max_occupancy: float) -> int:
    """The fewest agents answering ``target`` (0-1) of items within ``answer_minutes`` at ``load`` Erlangs."""
    if load <= 0:
        return 0
    agents = max(1, math.floor(load) + 1, math.ceil(load / max_occupancy))
    while service_level(agents, load, handling_minutes=handling_minutes, answer_minutes=answer_minutes) < target:
        agents += 1
    return agents
