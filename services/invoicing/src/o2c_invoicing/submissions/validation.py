"""Pre-submission validation against the customer's portal rules (the rules live with the invoice: they are also
checked at approval and at issue)."""

from o2c_invoicing.invoices.portal_rules import violations

__all__ = ["violations"]
