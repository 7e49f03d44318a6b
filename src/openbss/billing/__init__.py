"""Billing: bill cycles, charges, discounts, tax, bill runs, invoices."""
