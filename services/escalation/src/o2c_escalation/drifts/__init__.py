"""Reconciliation drifts (kpi's ``reconciliation.drift_detected`` / ``drift_cleared``) as work items: a case per
drifting invoice, resolved or commented when the services agree again."""
