"""Reconciliation of partners' statements with ours, and the disputes that follow."""
