"""account domain."""
