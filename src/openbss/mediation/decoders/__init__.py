"""Decoders: one per source format, each turning a file into raw usage rows (records.py)."""
