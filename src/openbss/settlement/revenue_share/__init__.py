"""SP/CP revenue share: billed value-added revenue shared per contract."""
