"""The late-payment model on tiny synthetic histories where the answer is known: the Newton fit recovers known
coefficients, the features use only what was settled before an invoice's issue date, and the AUC counts pairs."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from o2c_collections.risk import model as m


def test_logistic_fit_recovers_known_coefficients() -> None:
    rng = random.Random(7)
    xs = [[rng.uniform(-2, 2)] for _ in range(4000)]
    ys = [1 if rng.random() < 1 / (1 + math.exp(-(-0.5 + 2.0 * x[0]))) else 0 for x in xs]
    intercept, slope = m.fit_logistic(xs, ys, l2=0.0)
    assert abs(intercept + 0.5) < 0.15 and abs(slope - 2.0) < 0.2


def test_auc_counts_ranked_pairs_with_ties_halved() -> None:
    assert m.auc([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]) == 1.0
    assert m.auc([0.1, 0.9], [1, 0]) == 0.0
    assert m.auc([0.5, 0.5, 0.5], [1, 0, 0]) == 0.5
    assert m.auc([0.9, 0.3, 0.6, 0.2], [1, 1, 0, 0]) == 0.75


def _history() -> list[m.Settled]:
    """LATE pays every invoice 30 days after due, GOOD on the due date; one invoice a quarter each (none open when
    the next is issued)."""
    rows = []
    for i in range(12):
        issued = date(2023, 1, 1) + timedelta(days=90 * i)
        due = issued + timedelta(days=30)
        rows.append(m.Settled("LATE", issued, due, due + timedelta(days=30), 100.0))
        rows.append(m.Settled("GOOD", issued, due, due, 100.0))
    return rows


def test_features_only_see_what_was_settled_before_the_issue_date() -> None:
    xs, ys = m.design(_history(), base_late_share=0.5, base_days_late=15.0)
    # the first invoices have no history: smoothed to the overall figures, whoever the customer
    assert xs[0][:3] == xs[1][:3] == [0.5, 0.5, 0.0]
    # LATE's invoice k is issued on day 90k and settled on day 90k + 60: the 2nd sees the 1st, the 3rd two
    late_rows = [x for x, y in zip(xs, ys, strict=True) if y == 1]
    assert [row[2] for row in late_rows[:3]] == [0.0, math.log1p(1), math.log1p(2)]
    assert late_rows[1][0] == (1 + 3 * 0.5) / (1 + 3)  # one late of one, smoothed with 3 pseudo-invoices
    assert {row[6] for row in xs} == {0.0}  # none open when the next is issued
    assert len(ys) == 24 and sum(ys) == 12


def test_trained_model_separates_a_late_payer_from_a_punctual_one() -> None:
    model = m.train(_history())
    late, good = m.CustomerHistory(), m.CustomerHistory()
    for row in _history():
        (late if row.customer_id == "LATE" else good).add(row)
    invoice = m.Invoice("X", date(2026, 1, 1), date(2026, 1, 31), 100.0)
    p_late, days_late = m.predict(model, invoice, late, open_items=0)
    p_good, days_good = m.predict(model, invoice, good, open_items=0)
    assert p_late > 0.8 > 0.2 > p_good
    assert 20 < days_late < 30 and days_good < 5  # expected days: P(late) x its days when late (30, smoothed)
    assert model.base_late_share == 0.5 and model.base_days_when_late == 30.0 and model.trained_on == 24
