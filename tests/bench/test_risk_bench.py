"""bench.risk on the IBM history (examples/data): the late-payment model, trained on 2012 and measured on 2013
with features from what was settled before each invoice, beats the customer's own history on both figures
docs/performance.md reports."""

from __future__ import annotations

from bench.risk import DEFAULT_CSV, evaluate, load


def test_model_beats_the_naive_baseline_on_the_held_out_year() -> None:
    figures = evaluate(load(DEFAULT_CSV), year=2013)
    assert (figures["train_invoices"], figures["test_invoices"]) == (1277, 1189)
    assert figures["auc_model"] > figures["auc_baseline"] + 0.03 and figures["auc_model"] > 0.9
    assert figures["mae_days_model"] < figures["mae_days_baseline"] - 0.3
    assert round(figures["auc_model"], 3) == 0.913 and round(figures["mae_days_model"], 2) == 2.59  # the docs' figures
