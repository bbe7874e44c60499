"""Cross-service reconciliation: per invoice, invoicing's mirrored settlement, collections' ledger and kpi's AR
must agree about what is still owed (docs/reconciliation.md)."""
