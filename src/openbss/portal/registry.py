"""Every portal section, one line each, in the order of the header navigation."""

from __future__ import annotations

from openbss.portal import customers
from openbss.portal.sections import Section

SECTIONS: list[Section] = [
    customers.SECTION,
]
