"""Payment risk: a late-payment prediction per open invoice from the tenant's own settled history (model.py)."""
