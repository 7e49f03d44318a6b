"""openbss: an open-source telecom Business Support System."""

__version__ = "0.1.0"
