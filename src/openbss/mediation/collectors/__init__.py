"""Collectors: how usage reaches mediation (files, RADIUS accounting, SIP accounting, API)."""
