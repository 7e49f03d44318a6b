"""The managers' dashboards (admin, analyst): subscriber base, orders, revenue, reconcile."""

from __future__ import annotations

from openbss.kit.security import Role
from openbss.portal.dashboards.routes import router
from openbss.portal.sections import NavItem, Section, section_dirs

_templates, _locale = section_dirs(__file__)

SECTION = Section(
    key="dashboards",
    router=router,
    templates_dir=_templates,
    locale_dir=_locale,
    nav=(
        NavItem(
            "dashboards", "Dashboards", "/portal/dashboards", frozenset({Role.ADMIN, Role.ANALYST})
        ),
    ),
)
