"""Seed data: the demo province with the DOMAIN.md catalog and realistic customers."""
