"""Rating: turning usage events into amounts in li (0.001 CNY).

``model`` holds tariffs as plain, frozen data (destinations, time bands, charges, rules,
allowances, tiers) and the rating plan that says which tariff applies to whom and when;
``reference`` is the slow, obviously correct rater that every faster engine is checked
against (the conformance cases live in ``tests/rating/cases.py``).
"""
