"""Customers: search, the customer 360 page and registering a customer."""

from __future__ import annotations

from openbss.customer.service import CUSTOMER_WRITERS
from openbss.portal.customers.routes import router
from openbss.portal.customers.tabs import TABS
from openbss.portal.sections import NavItem, Section, section_dirs

_templates, _locale = section_dirs(__file__)

SECTION = Section(
    key="customers",
    router=router,
    templates_dir=_templates,
    locale_dir=_locale,
    nav=(
        NavItem("customers", "Customers", "/portal/customers"),
        NavItem("register", "Register a customer", "/portal/customers/new", roles=CUSTOMER_WRITERS),
    ),
    customer_tabs=TABS,
)
