"""Product catalog (TMF620): specifications per line of business, offerings and bundles (套餐),
prices kept as dated versions in integer fen/li, and the group master catalog with province
additions. Start at service/base.py (rules shared by every resource) and service/price.py
(price versions); pure maths in calculations.py and pricing.py; seed data in ct2005.py (its
prices from openbss.refdata.ct2005).
"""
