"""Payments and accounts receivable: the ledger, payments and allocation (销帐), bank
collection (托收), late fees, collections and credit control, deposits, write-offs, GL export."""
