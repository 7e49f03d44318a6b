"""Diameter Gy (RFC 4006 credit control over RFC 6733) in front of the online charging engine."""
