"""What each KPI means: formula, unit and a worked example (the same text as docs/kpi.md)."""

from __future__ import annotations

from o2c_kpi.kpis.schemas import KpiDefinition


def _d(name: str, title: str, unit: str, formula: str, example: str, *, point_in_time: bool = False,
       breakdown: str | None = None) -> KpiDefinition:
    return KpiDefinition(name=name, title=title, unit=unit, formula=formula, example=example,
                         point_in_time=point_in_time, breakdown=breakdown)


_ALL = (
    _d("ar_balance", "AR at the end of day D", "money",
       "Amounts of invoices issued on or before D minus cash applied, credit notes and write-offs dated on or "
       "before D, plus applications reversed on or before D (D = as_of).",
       "Invoices 1,000 (1 Mar) and 500 (10 Mar), 600 applied on 12 Mar: AR at 31 Mar = 900.", point_in_time=True),
    _d("current_ar", "Current AR", "money", "The part of AR at D whose due date is on or after D (not past due).",
       "Of the 900 above, the 500 invoice is due 9 Apr: current AR at 31 Mar = 500.", point_in_time=True),
    _d("past_due_ar", "Past-due AR", "money", "AR at D - current AR at D.",
       "900 - 500 = 400.", point_in_time=True),
    _d("average_days_past_due", "Average days past due", "days",
       "Sum over past-due AR of amount x (D - due date) / past-due AR (days past due = D - due date).",
       "400 due 31 Jan and 100 due 1 Mar, D = 31 Mar: (400 x 59 + 100 x 30) / 500 = 53.20 days.",
       point_in_time=True),
    _d("aging", "Aging buckets", "money",
       "AR at D by days past due: current (due date >= D), 1-30, 31-60, 61-90, 91-120, over_120.",
       "400 due 31 Jan (59 days past due) is in 31-60; 100 due 1 Mar (30 days) in 1-30; 500 due 9 Apr current.",
       point_in_time=True, breakdown="bucket: current, 1-30, 31-60, 61-90, 91-120, over_120"),
    _d("credit_sales", "Credit sales", "money", "Amounts of invoices issued (issue date) in the period.",
       "Invoices 1,000 and 500 issued in March: credit sales of March = 1,500."),
    _d("dso", "DSO (standard)", "days", "AR at period end / credit sales of the period x days in the period.",
       "AR 212,000 at 31 Mar, March credit sales 100,000, 31 days: 212,000 / 100,000 x 31 = 65.72 days."),
    _d("count_back_dso", "Count-back DSO", "days",
       "Walk calendar months back from D's month (D's month counts up to D): while the AR left is not smaller "
       "than the month's credit sales, subtract them and add the month's days; in the month where it is "
       "smaller, add AR left / that month's sales x its days.",
       "AR 212,000; sales 100,000 (Jun, 30 days), 80,000 (May, 30), 70,000 (Apr, 30): 30 + 30 + 32,000 / "
       "70,000 x 30 = 73.71 days.", point_in_time=True),
    _d("best_possible_dso", "Best possible DSO", "days",
       "Current AR at period end / credit sales of the period x days in the period.",
       "Current AR 90,000, sales 100,000, 31 days: 27.90 days."),
    _d("add", "Average days delinquent (ADD)", "days", "DSO - best possible DSO (before rounding).",
       "65.72 - 27.90 = 37.82 days."),
    _d("cei", "Collection effectiveness index (CEI)", "percent",
       "(AR at start + credit sales - AR at end) / (AR at start + credit sales - current AR at end) x 100; AR at "
       "start = AR at the end of the day before the period.",
       "AR start 200,000, sales 100,000, AR end 212,000, current AR end 90,000: 88,000 / 210,000 x 100 = 41.90 %."),
    _d("on_time_invoicing_rate", "On-time invoicing rate", "percent",
       "Invoices issued on or before their billing deadline / invoices issued with a billing deadline x 100 "
       "(by issue date; invoices without a deadline are not counted).",
       "40 invoices with a deadline issued in March, 38 by it: 95.00 %."),
    _d("first_pass_acceptance_rate", "First-pass portal acceptance rate", "percent",
       "Invoices approved by the portal on their first submission / (those + invoices whose first portal outcome "
       "was a rejection) x 100, by outcome date.", "45 first-pass approvals, 5 first rejections: 90.00 %."),
    _d("rejection_rate", "Portal rejection rate", "percent",
       "Portal rejections / submission attempts (first submissions + resubmissions) x 100, in total and per "
       "rejection reason.", "50 submissions + 6 resubmissions, 7 rejections of which 4 missing_po: 12.50 % "
       "in total, 7.14 % missing_po.", breakdown="rejection reason (no dimension = all reasons)"),
    _d("time_to_resubmit", "Time to resubmit", "hours",
       "Mean of (resubmitted at - rejected at) in hours over resubmissions in the period.",
       "Resubmitted after 15 minutes and after 1.5 days (36 hours): 18.13 hours."),
    _d("cycle_time", "Cycle times", "days",
       "Mean time between an invoice's milestones, counted in the period of the later one: approved_to_submitted, "
       "submitted_to_accepted (first submission to portal approval), accepted_to_paid, approved_to_paid.",
       "Approved 1 Mar 09:00, submitted 1 Mar 21:00: 0.50 day approved_to_submitted.", breakdown="stage"),
    _d("cash_received", "Cash received", "money", "Payments booked with a value date in the period.",
       "Payments 1,000 and 250 on 3 Mar: 1,250."),
    _d("cash_applied", "Cash applied", "money", "Cash applied to invoices with an applied date in the period, less "
       "applications reversed in it (taken back from the rule that made them).",
       "600 applied on 12 Mar, 100 of it reversed on 20 Mar: 500."),
    _d("auto_match_rate", "Auto-match rate", "percent",
       "Cash applied by the matching engine (any rule but manual) in the period / cash received in the period "
       "x 100.", "1,250 received, 1,000 applied by the engine, 250 by hand: 80.00 %."),
    _d("unapplied_cash", "Unapplied cash balance", "money",
       "Cash received on or before D not applied by D (applications reversed count again).",
       "1,250 received, 1,000 applied: 250.", point_in_time=True),
    _d("unapplied_cash_age", "Unapplied cash age", "days",
       "Amount-weighted mean of (D - value date) over payments with unapplied cash at D.",
       "250 received 3 Mar, D = 31 Mar: 28.00 days.", point_in_time=True),
    _d("open_deductions", "Open deductions", "money", "Deductions opened on or before D and not resolved by D.",
       "Deductions 50 and 30 opened, 30 written off: 50.", point_in_time=True),
    _d("open_deductions_age", "Open deductions age", "days",
       "Amount-weighted mean of (D - opened date) over deductions open at D.",
       "50 opened 1 Mar, D = 31 Mar: 30.00 days.", point_in_time=True),
    _d("open_disputes", "Open disputes", "money", "Disputed amounts of disputes open at D.",
       "Disputes of 120 and 80 opened, the 80 resolved: 120.", point_in_time=True),
    _d("dispute_resolution_time", "Dispute resolution time", "days",
       "Mean of (resolved at - opened at) over disputes resolved in the period.",
       "Resolved after 3 and 5 days: 4.00 days."),
    _d("escalation_acknowledge_time", "Escalation acknowledge time", "minutes",
       "Mean business minutes to acknowledge over cases acknowledged in the period.", "30 and 90 minutes: 60.00."),
    _d("escalation_resolve_time", "Escalation resolve time", "minutes",
       "Mean business minutes to resolve over cases resolved in the period.", "240 and 480 minutes: 360.00."),
    _d("escalation_acknowledged_within_sla_rate", "Escalations acknowledged within SLA", "percent",
       "Cases acknowledged within their SLA / cases acknowledged in the period x 100.", "9 of 10: 90.00 %."),
    _d("escalation_resolved_within_sla_rate", "Escalations resolved within SLA", "percent",
       "Cases resolved within their SLA / cases resolved in the period x 100.", "3 of 4: 75.00 %."),
    _d("promise_to_pay_kept_rate", "Promise-to-pay kept rate", "percent",
       "Promises kept / (kept + broken) decided in the period x 100.", "8 kept, 2 broken: 80.00 %."),
    _d("backlog", "Backlog", "count",
       "Work items open at D: disputes, deductions, escalation cases and portal rejections not yet resubmitted.",
       "2 disputes, 1 deduction, 3 cases, 1 rejection open: 7.", point_in_time=True),
    _d("work_items_by_team", "Work items per team", "count",
       "The backlog per owning team (internal or vendor team).", "vendor-a 4, vendor-b 3.", point_in_time=True,
       breakdown="owning team"),
    _d("work_items_by_agent", "Work items per agent", "count",
       "The backlog per owner / assignee at opening ('(unassigned)' when none).", "carl 2, (unassigned) 5.",
       point_in_time=True, breakdown="agent"),
)

DEFINITIONS: dict[str, KpiDefinition] = {d.name: d for d in _ALL}
