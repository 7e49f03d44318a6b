"""Roaming settlement: TAP 3.12 out for visitors, TAP in for our subscribers abroad, RAP 1.5
returns and acknowledgements, and what each roaming partner owes or is owed."""
