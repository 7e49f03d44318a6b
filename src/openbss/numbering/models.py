"""ORM models (filled in as the domain is built)."""
