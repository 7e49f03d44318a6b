"""Domain-free building blocks: money, ids, clock, errors, pagination, settings."""
