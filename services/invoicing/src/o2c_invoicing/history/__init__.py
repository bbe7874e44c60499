"""Historical invoices in bulk (issue 16): a chunk of invoices issued elsewhere loaded with a few multi-row
statements, with the validation, idempotency, audit and events of the single-row `POST /invoices/historical`."""
