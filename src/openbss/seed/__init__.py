"""Seed data: the demo province with the China Telecom 2005 catalog (docs/domain/tariffs.md)
and realistic customers."""
