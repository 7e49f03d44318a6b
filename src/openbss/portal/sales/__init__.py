"""Selling: the sale form with number choice, the eligibility check, the order's progress
through provisioning, and the customer page's "Sales and service" tab."""

from __future__ import annotations

from openbss.portal.sales.routes import router
from openbss.portal.sales.tab import render_counter
from openbss.portal.sections import CustomerTab, Section, section_dirs

_templates, _locale = section_dirs(__file__)

SECTION = Section(
    key="sales",
    router=router,
    templates_dir=_templates,
    locale_dir=_locale,
    customer_tabs=(CustomerTab("counter", "Sales and service", 25, render_counter),),
)
