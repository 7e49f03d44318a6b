"""Rating: turning usage events into amounts in li (0.001 CNY).

``contract`` holds tariffs as plain, frozen data (destinations, time bands, charges, rules,
allowances, tiers) and the rating plan that says which tariff applies to whom and when;
``ct2005`` builds China Telecom's 2005 tariffs in that form from the reference data;
``reference`` is the slow, obviously correct rater that every faster engine is checked
against (the conformance cases live in ``tests/rating/cases.py``).
"""
