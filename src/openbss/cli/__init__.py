"""The ``openbss`` command."""
