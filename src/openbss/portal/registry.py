"""Every portal section, one line each, in the order of the header navigation."""

from __future__ import annotations

from openbss.portal import bills, customers, dashboards, payments, products, sales
from openbss.portal.sections import Section

SECTIONS: list[Section] = [
    customers.SECTION,
    sales.SECTION,
    products.SECTION,
    bills.SECTION,
    payments.SECTION,
    dashboards.SECTION,
]
