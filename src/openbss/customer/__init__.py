"""customer domain."""
