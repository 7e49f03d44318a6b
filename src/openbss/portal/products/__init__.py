"""A product's page: suspend, resume, cease, change of plan, status history."""

from __future__ import annotations

from openbss.portal.products.routes import router
from openbss.portal.sections import Section, section_dirs

_templates, _locale = section_dirs(__file__)

SECTION = Section(key="products", router=router, templates_dir=_templates, locale_dir=_locale)
