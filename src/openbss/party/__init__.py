"""party domain."""
