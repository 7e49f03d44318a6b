"""Reference data: facts about the world the product is sold in, as plain values.

Numbering (local networks, area codes, mobile blocks, service numbers, country codes),
public-holiday calendars and published price lists. Every domain may read it; it reads
nothing but the kit and its third-party sources (``phonenumbers``), so a fact written here
is written once and the catalog, rating, numbering and mediation all see the same one.
"""
