"""API keys: creation, hashed storage, authentication."""
