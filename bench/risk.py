"""Payment risk on the IBM late-payment history: train the late-payment model (o2c_collections.risk.model) on the
invoices issued before a cut-off year, measure it on the invoices of that year against a naive baseline (the
customer's historical late share for P(late), its mean days late for the days), as the service would: each held-out
invoice's features use only what was settled before its issue date.

    python -m bench.risk [--year 2013] [--csv examples/data/ibm-late-payment-histories.csv]
"""

from __future__ import annotations

import argparse
import csv
import time
from datetime import date, datetime
from pathlib import Path

from o2c_collections.risk import model as m

DEFAULT_CSV = Path(__file__).resolve().parents[1] / "examples" / "data" / "ibm-late-payment-histories.csv"


def _day(text: str) -> date:
    return datetime.strptime(text, "%m/%d/%Y").date()


def load(path: Path) -> list[m.Settled]:
    with path.open(newline="") as handle:
        return [m.Settled(customer_id=row["customerID"], issue_date=_day(row["InvoiceDate"]),
                          due_date=_day(row["DueDate"]), settled_date=_day(row["SettledDate"]),
                          amount=float(row["InvoiceAmount"]), disputed=row["Disputed"] == "Yes")
                for row in csv.DictReader(handle)]


def evaluate(rows: list[m.Settled], *, year: int) -> dict[str, float]:
    train_rows = [r for r in rows if r.issue_date.year < year]
    test_rows = [r for r in rows if r.issue_date.year == year]
    started = time.perf_counter()
    model = m.train(train_rows)
    fit_seconds = time.perf_counter() - started
    # features of the held-out year from everything settled before each invoice's issue date (the training rows and
    # the held-out invoices already settled by then), labels from the held-out invoices only
    xs, ys = m.design([*train_rows, *test_rows], base_late_share=model.base_late_share,
                      base_days_late=model.base_days_late)
    ordered = sorted([*train_rows, *test_rows], key=lambda s: (s.issue_date, s.settled_date))
    held = [i for i, s in enumerate(ordered) if s.issue_date.year == year]
    histories: dict[str, m.CustomerHistory] = {}
    by_settled = sorted(ordered, key=lambda s: s.settled_date)
    k = 0
    p_model, p_base, d_model, d_base, labels, days = [], [], [], [], [], []
    for i in held:
        item = ordered[i]
        while k < len(by_settled) and by_settled[k].settled_date < item.issue_date:
            histories.setdefault(by_settled[k].customer_id, m.CustomerHistory()).add(by_settled[k])
            k += 1
        history = histories.get(item.customer_id, m.CustomerHistory())
        p = model.probability(xs[i])
        p_model.append(p)
        d_model.append(p * m.days_when_late(history, model))
        p_base.append(history.late / history.count if history.count else model.base_late_share)
        d_base.append(history.days_late / history.count if history.count else model.base_days_late)
        labels.append(ys[i])
        days.append(item.days_late)
    n = len(held)
    return {"train_invoices": len(train_rows), "test_invoices": n, "late_share_test": sum(labels) / n,
            "auc_model": m.auc(p_model, labels), "auc_baseline": m.auc(p_base, labels),
            "mae_days_model": sum(abs(a - b) for a, b in zip(d_model, days, strict=True)) / n,
            "mae_days_baseline": sum(abs(a - b) for a, b in zip(d_base, days, strict=True)) / n,
            "fit_seconds": fit_seconds, **{f"coef_{name}": c for name, c in
                                           zip(("intercept", *m.FEATURES), model.coefficients, strict=True)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--year", type=int, default=2013)
    args = parser.parse_args()
    rows = load(args.csv)
    years = sorted({r.issue_date.year for r in rows})
    print(f"{len(rows)} invoices, issued {years[0]}-{years[-1]}; held-out year {args.year}")
    for name, value in evaluate(rows, year=args.year).items():
        print(f"  {name:22} {value:.3f}" if isinstance(value, float) else f"  {name:22} {value}")


if __name__ == "__main__":
    main()
