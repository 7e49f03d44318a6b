"""Audit log: who created or changed what, when."""
