"""The late-payment model, pure Python (no numpy in the lock): a logistic regression for P(paid late) fitted by
Newton's method (iteratively reweighted least squares, a small L2 penalty), and the expected days late
= P(late) x the customer's mean days late when late (the whole history's when the customer has none).

Features of an invoice, each computable from the ledger as of its issue date (only invoices settled before that
day count as the customer's history, so no future leaks into the past):

- ``late_share``: the customer's share of settled invoices paid after due (smoothed toward the overall share),
- ``mean_days_late``: the customer's mean days late over its settled invoices (smoothed, /30),
- ``log_history``: log(1 + the customer's settled invoices),
- ``relative_amount``: log(amount / the customer's mean settled amount),
- ``terms_days``: (due - issue) days / 30,
- ``month_end``: 1 when due in the last 5 days of a month,
- ``open_items``: log(1 + the customer's items open on the issue date),
- ``disputed``: 1 when the invoice is (or was) disputed.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

FEATURES = ("late_share", "mean_days_late", "log_history", "relative_amount", "terms_days", "month_end",
            "open_items", "disputed")
PRIOR = 3.0  # pseudo-invoices pulling a short history toward the overall figures


@dataclass(frozen=True)
class Settled:
    """One settled invoice of the history."""

    customer_id: str
    issue_date: date
    due_date: date
    settled_date: date
    amount: float
    disputed: bool = False

    @property
    def days_late(self) -> int:
        return max(0, (self.settled_date - self.due_date).days)


@dataclass(frozen=True)
class Invoice:
    """An invoice to predict (open, or of a held-out period)."""

    customer_id: str
    issue_date: date
    due_date: date
    amount: float
    disputed: bool = False


@dataclass
class CustomerHistory:
    """What the features need of a customer's settled invoices."""

    count: int = 0
    late: int = 0
    days_late: int = 0
    amount: float = 0.0

    def add(self, item: Settled) -> None:
        self.count += 1
        self.late += item.days_late > 0
        self.days_late += item.days_late
        self.amount += item.amount


@dataclass
class Model:
    """Coefficients (intercept first, then one per feature) with the overall figures the smoothing uses."""

    coefficients: list[float]
    base_late_share: float
    base_days_late: float
    base_days_when_late: float
    trained_on: int = 0
    metrics: dict[str, float] = field(default_factory=dict)

    def probability(self, x: Sequence[float]) -> float:
        return _sigmoid(self.coefficients[0] + sum(c * v for c, v in zip(self.coefficients[1:], x, strict=True)))


def features(invoice: Invoice, history: CustomerHistory, *, open_items: int, base_late_share: float,
             base_days_late: float) -> list[float]:
    share = (history.late + PRIOR * base_late_share) / (history.count + PRIOR)
    mean_late = (history.days_late + PRIOR * base_days_late) / (history.count + PRIOR)
    mean_amount = history.amount / history.count if history.count else invoice.amount
    relative = math.log(max(invoice.amount, 0.01) / max(mean_amount, 0.01))
    due = invoice.due_date
    month_end = 1.0 if _days_to_month_end(due) < 5 else 0.0
    return [share, mean_late / 30, math.log1p(history.count), relative, (due - invoice.issue_date).days / 30,
            month_end, math.log1p(open_items), 1.0 if invoice.disputed else 0.0]


def _days_to_month_end(day: date) -> int:
    following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return (following - day).days - 1


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the system is small: features + 1)."""
    n = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        if abs(m[col][col]) < 1e-12:
            continue
        for r in range(n):
            if r != col:
                f = m[r][col] / m[col][col]
                m[r] = [v - f * p for v, p in zip(m[r], m[col], strict=True)]
    return [m[i][n] / m[i][i] if abs(m[i][i]) >= 1e-12 else 0.0 for i in range(n)]


def fit_logistic(xs: Sequence[Sequence[float]], ys: Sequence[int], *, l2: float = 0.1,
                 iterations: int = 25) -> list[float]:
    """Coefficients (intercept first) maximising the penalised log-likelihood, by Newton steps."""
    k = len(xs[0]) + 1 if xs else 1
    beta = [0.0] * k
    rows = [[1.0, *x] for x in xs]
    for _ in range(iterations):
        grad = [-l2 * b if j else 0.0 for j, b in enumerate(beta)]
        hess = [[(l2 if i == j and i else 0.0) for j in range(k)] for i in range(k)]
        for row, y in zip(rows, ys, strict=True):
            p = _sigmoid(sum(b * v for b, v in zip(beta, row, strict=True)))
            w = max(p * (1 - p), 1e-9)
            for i in range(k):
                grad[i] += (y - p) * row[i]
                wi = w * row[i]
                for j in range(i, k):
                    hess[i][j] += wi * row[j]
        for i in range(k):
            for j in range(i):
                hess[i][j] = hess[j][i]
        step = _solve(hess, grad)
        beta = [b + s for b, s in zip(beta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return beta


def design(history: Sequence[Settled], *, base_late_share: float,
           base_days_late: float) -> tuple[list[list[float]], list[int]]:
    """A row of features per settled invoice (issue date order), each from what had been settled before its issue
    date; O(n log n)."""
    ordered = sorted(history, key=lambda s: (s.issue_date, s.settled_date))
    by_settled = sorted(history, key=lambda s: s.settled_date)
    issued_on: dict[str, list[date]] = defaultdict(list)
    settled_on: dict[str, list[date]] = defaultdict(list)
    for s in ordered:
        issued_on[s.customer_id].append(s.issue_date)
    for s in by_settled:
        settled_on[s.customer_id].append(s.settled_date)
    per_customer: dict[str, CustomerHistory] = {}
    xs: list[list[float]] = []
    ys: list[int] = []
    k = 0
    for item in ordered:
        while k < len(by_settled) and by_settled[k].settled_date < item.issue_date:
            per_customer.setdefault(by_settled[k].customer_id, CustomerHistory()).add(by_settled[k])
            k += 1
        # open on the issue date: issued before it and not settled before it
        open_count = (bisect_left(issued_on[item.customer_id], item.issue_date)
                      - bisect_left(settled_on[item.customer_id], item.issue_date))
        xs.append(features(Invoice(item.customer_id, item.issue_date, item.due_date, item.amount, item.disputed),
                           per_customer.get(item.customer_id, CustomerHistory()), open_items=max(0, open_count),
                           base_late_share=base_late_share, base_days_late=base_days_late))
        ys.append(1 if item.days_late > 0 else 0)
    return xs, ys


def train(history: Sequence[Settled], *, l2: float = 0.1) -> Model:
    n = len(history)
    late = [s for s in history if s.days_late > 0]
    base_share = len(late) / n if n else 0.0
    base_days = sum(s.days_late for s in history) / n if n else 0.0
    when_late = sum(s.days_late for s in late) / len(late) if late else 0.0
    xs, ys = design(history, base_late_share=base_share, base_days_late=base_days)
    coefficients = fit_logistic(xs, ys, l2=l2) if xs else [0.0] * (len(FEATURES) + 1)
    return Model(coefficients=coefficients, base_late_share=base_share, base_days_late=base_days,
                 base_days_when_late=when_late, trained_on=n)


def days_when_late(history: CustomerHistory, model: Model) -> float:
    """The customer's mean days late over its late invoices, smoothed toward the overall mean."""
    return (history.days_late + PRIOR * model.base_days_when_late) / (history.late + PRIOR)


def predict(model: Model, invoice: Invoice, history: CustomerHistory, *, open_items: int) -> tuple[float, float]:
    """(probability of paying late, expected days late)."""
    x = features(invoice, history, open_items=open_items, base_late_share=model.base_late_share,
                 base_days_late=model.base_days_late)
    p = model.probability(x)
    return p, p * days_when_late(history, model)


def auc(scores: Sequence[float], labels: Sequence[int]) -> float:
    """Area under the ROC curve: the chance a late invoice scores above an on-time one (ties count half)."""
    pairs = sorted(zip(scores, labels, strict=True))
    positives = sum(labels)
    negatives = len(labels) - positives
    if not positives or not negatives:
        return 0.5
    rank_sum, i = 0.0, 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        average_rank = (i + j + 1) / 2
        rank_sum += average_rank * sum(label for _, label in pairs[i:j])
        i = j
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)
