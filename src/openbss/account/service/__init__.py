"""Account management (TMF666): service singletons for the API, the CLI and the seeders.

Each singleton takes a principal and a TMF JSON body (a plain dict), e.g.::

    billing_accounts.create(session, principal, {"name": "张伟的帐户",
                                                 "relatedParty": [{"id": party_id}]})

and flushes; the caller's unit of work commits.
"""

from __future__ import annotations

from openbss.account.service.accounts import (
    BillingAccountService,
    FinancialAccountService,
    PartyAccountService,
    SettlementAccountService,
)
from openbss.account.service.common import ACCOUNT_STATES, API, API_PATH, AccountService
from openbss.account.service.reference import (
    BillFormatService,
    BillingCycleSpecificationService,
    BillPresentationMediaService,
)

billing_accounts = BillingAccountService()
party_accounts = PartyAccountService()
settlement_accounts = SettlementAccountService()
financial_accounts = FinancialAccountService()
bill_formats = BillFormatService()
bill_presentation_media = BillPresentationMediaService()
billing_cycle_specifications = BillingCycleSpecificationService()

# In the order the API lists them (and a seeder creates them: reference data first).
SERVICES = (
    bill_formats,
    bill_presentation_media,
    billing_cycle_specifications,
    financial_accounts,
    billing_accounts,
    party_accounts,
    settlement_accounts,
)

__all__ = [
    "ACCOUNT_STATES",
    "API",
    "API_PATH",
    "SERVICES",
    "AccountService",
    "BillFormatService",
    "BillPresentationMediaService",
    "BillingAccountService",
    "BillingCycleSpecificationService",
    "FinancialAccountService",
    "PartyAccountService",
    "SettlementAccountService",
    "bill_formats",
    "bill_presentation_media",
    "billing_accounts",
    "billing_cycle_specifications",
    "financial_accounts",
    "party_accounts",
    "settlement_accounts",
]
