"""Who may do what in collections: every permission, defined once with the ``Role`` enum, and the permission of
every route (``ROUTES``: the route matrix test and ``tools/permissions_doc.py`` read it). Routers import the
``Annotated`` names.

Vendor agents are further confined to their own team's accounts, receivables, payments, deductions, disputes and
promises by the services (``load_visible``, ``visible_team``); billing roles, requesters and viewers do not read the
ledger (they read invoicing's ``settlement_status`` and kpi's aggregates)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from o2c_common.auth import Permission, Principal, Role, RouteTable

SUPERVISE = Permission("supervise", Role.AR_SUPERVISOR,
                       summary="policies, rules, runs, write-off and credit decisions")
WORK = Permission("work-accounts", Role.AR_SUPERVISOR, Role.COLLECTOR, Role.VENDOR_AGENT,
                  summary="works accounts: disputes, deductions, promises, worklists, dunning runs and statements "
                          "(vendor agents: their team's)")
READ_AR = Permission("read-ar", Role.AR_SUPERVISOR, Role.COLLECTOR, Role.VENDOR_AGENT, Role.INTEGRATION,
                     summary="reads the ledger: accounts, receivables, balances, aging, payments, deductions, "
                             "disputes, promises (vendor agents: their team's)")
BOOK_CASH = Permission("book-cash", Role.AR_SUPERVISOR, Role.COLLECTOR, Role.VENDOR_AGENT, Role.INTEGRATION,
                       summary="books payments and applies or reverses cash (vendor agents: onto their team's "
                               "invoices only)")
IMPORT_BANK_FILES = Permission("import-bank-files", Role.BANK_FILE_IMPORTER,
                               summary="uploads bank files, whose payments are booked for every team, and follows "
                                       "its own import jobs")
READ_CREDIT = Permission("read-credit", Role.AR_SUPERVISOR, Role.COLLECTOR, Role.VENDOR_AGENT, Role.INTEGRATION,
                         summary="reads credit profiles and hold rules (vendor agents: their team's)")
COLLECT = Permission("collect", Role.AR_SUPERVISOR, Role.COLLECTOR,
                     summary="in-house collectors: credit holds and their release")
INTERNAL_READ = Permission("read-overdue-escalation", Role.AR_SUPERVISOR, Role.COLLECTOR, Role.INTEGRATION,
                           summary="in-house readers: overdue escalation rules and breaches")
RECONCILE = Permission("reconcile", Role.INTEGRATION, Role.AR_SUPERVISOR,
                       summary="reads every invoice's figures (the cross-service reconciliation)")
MAINTAIN_ACCOUNTS = Permission("maintain-accounts", Role.AR_SUPERVISOR, Role.INTEGRATION,
                               summary="imports the account master (an MDM feed)")
EDIT_ACCOUNT = Permission("edit-account", Role.AR_SUPERVISOR, Role.COLLECTOR, Role.VENDOR_AGENT, Role.INTEGRATION,
                          summary="writes an account: supervisors and integrations everything, collectors and vendor "
                                  "agents the dunning contacts and language of their team's accounts")

Supervisor = Annotated[Principal, Depends(SUPERVISE.guard)]
Worker = Annotated[Principal, Depends(WORK.guard)]
ArReader = Annotated[Principal, Depends(READ_AR.guard)]
CashBooker = Annotated[Principal, Depends(BOOK_CASH.guard)]
BankFileImporter = Annotated[Principal, Depends(IMPORT_BANK_FILES.guard)]
CreditReader = Annotated[Principal, Depends(READ_CREDIT.guard)]
Collector = Annotated[Principal, Depends(COLLECT.guard)]
InternalReader = Annotated[Principal, Depends(INTERNAL_READ.guard)]
Reconciler = Annotated[Principal, Depends(RECONCILE.guard)]
SupervisorOrIntegration = Annotated[Principal, Depends(MAINTAIN_ACCOUNTS.guard)]
AccountEditor = Annotated[Principal, Depends(EDIT_ACCOUNT.guard)]

ROUTES = RouteTable({
    "GET /receivables": READ_AR,
    "GET /receivables/open-amounts": RECONCILE,
    "POST /receivables/open-amounts/lookup": RECONCILE,
    "GET /receivables/{invoice_id}": READ_AR,
    "GET /receivables/{invoice_id}/ledger": READ_AR,
    "GET /balances": READ_AR,
    "GET /aging": READ_AR,
    "POST /payments": BOOK_CASH,
    "POST /payments/batch": BOOK_CASH,
    "GET /payments": READ_AR,
    "GET /payments/unapplied": READ_AR,
    "GET /payments/{payment_id}": READ_AR,
    "POST /payments/{payment_id}/applications": BOOK_CASH,
    "POST /payments/{payment_id}/applications/{application_id}/reversal": BOOK_CASH,
    "POST /payments/{payment_id}/confirmation": BOOK_CASH,
    "GET /cash-application/patterns": READ_AR,
    "DELETE /cash-application/patterns/{pattern_id}": BOOK_CASH,
    "POST /payment-imports": IMPORT_BANK_FILES,
    "GET /payment-imports/{import_id}": IMPORT_BANK_FILES,
    "GET /deductions": READ_AR,
    "GET /deductions/{deduction_id}": READ_AR,
    "POST /deductions/{deduction_id}/resolution": WORK,
    "POST /deductions/{deduction_id}/write-off-decision": SUPERVISE,
    "POST /deductions/{deduction_id}/credit-decision": SUPERVISE,
    "POST /disputes": WORK,
    "GET /disputes": READ_AR,
    "GET /disputes/{dispute_id}": READ_AR,
    "PATCH /disputes/{dispute_id}": WORK,
    "POST /disputes/{dispute_id}/resolution": WORK,
    "POST /disputes/{dispute_id}/write-off-decision": SUPERVISE,
    "POST /disputes/{dispute_id}/credit-decision": SUPERVISE,
    "POST /promises": WORK,
    "GET /promises": READ_AR,
    "POST /promises/check": SUPERVISE,
    "GET /dunning/policies": WORK,
    "PUT /dunning/policies/{policy_id}": SUPERVISE,
    "GET /dunning/templates": WORK,
    "PUT /dunning/templates/{template}/{language}": SUPERVISE,
    "POST /dunning/runs": SUPERVISE,
    "GET /dunning/runs/{run_id}": WORK,
    "GET /dunning/statements": WORK,
    "GET /worklists": WORK,
    "GET /credit/{customer_id}": READ_CREDIT,
    "POST /risk/model/training": SUPERVISE,
    "GET /risk/model": READ_CREDIT,
    "GET /risk/invoices/{invoice_id}": READ_CREDIT,
    "PUT /credit/{customer_id}/limit": SUPERVISE,
    "POST /credit/{customer_id}/hold": COLLECT,
    "POST /credit/{customer_id}/hold/release": COLLECT,
    "GET /accounts": READ_AR,
    "POST /accounts/import": MAINTAIN_ACCOUNTS,
    "GET /accounts/{customer_id}": READ_AR,
    "PUT /accounts/{customer_id}": EDIT_ACCOUNT,
    "GET /credit-holds/rules": READ_CREDIT,
    "PUT /credit-holds/rules/{rule_id}": SUPERVISE,
    "POST /credit-holds/runs": SUPERVISE,
    "GET /overdue-escalation/rules": INTERNAL_READ,
    "PUT /overdue-escalation/rules/{rule_id}": SUPERVISE,
    "POST /overdue-escalation/runs": SUPERVISE,
    "GET /overdue-escalation/breaches": INTERNAL_READ,
})


def service_principal(subject: str) -> Principal:
    """An automated actor acting with an ar_supervisor's rights (the history importer, the credit hold rules)."""
    return Principal(subject=subject, roles=frozenset({Role.AR_SUPERVISOR.value}), kind="service")
