"""Customer groups through the database (accounts.parent_customer_id): a sibling's and the parent's invoices are
matched for a payer of the group (rule customer_group), an outsider's are not; the group is read with the payer's
account in one statement (accounts.repository.with_group)."""

from __future__ import annotations

from o2c_collections.accounts.repository import with_group
from services.collections.tests.conftest import Service

ACCOUNTS = [("PARENT", None), ("CHILD-1", "PARENT"), ("CHILD-2", "PARENT"), ("GRANDCHILD", "CHILD-1"),
            ("OUTSIDER", None)]


async def test_a_group_member_pays_a_sibling_invoice_by_reference(service: Service) -> None:
    for customer, parent in ACCOUNTS:
        await service.execute("INSERT INTO accounts (customer_id, parent_customer_id, owning_team) VALUES (:c, :p, "
                              "'team-a')", c=customer, p=parent)
    async with service.db.unit_of_work() as session:
        assert [(a and a.customer_id, g) for a, g in [await with_group(session, customer_id=c) for c in (
            "CHILD-1", "PARENT", "OUTSIDER", "UNKNOWN")]] == [
            ("CHILD-1", ["CHILD-2", "PARENT"]), ("PARENT", ["CHILD-1", "CHILD-2"]), ("OUTSIDER", []), (None, [])]
    sibling = await service.issue("INV-SIB", "300.00", customer="CHILD-2")
    foreign = await service.issue("INV-OUT", "120.00", customer="OUTSIDER")
    paid = await service.pay("300.00", customer="CHILD-1", remittance=[{"reference": "INV-SIB"}])
    assert paid["status"] == "applied" and paid["owning_team"] == "team-a"
    assert [(a["invoice_id"], a["rule"]) for a in paid["applications"]] == [(str(sibling), "customer_group")]
    refused = await service.pay("120.00", customer="CHILD-1", remittance=[{"reference": "INV-OUT"}])
    assert refused["status"] == "unapplied" and await service.open_amount(foreign) == 120
