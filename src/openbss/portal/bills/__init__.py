"""Bills: an account's list, a bill with its itemised usage, the invoice PDF, hot billing."""

from __future__ import annotations

from openbss.portal.bills.routes import router
from openbss.portal.sections import Section, section_dirs

_templates, _locale = section_dirs(__file__)

SECTION = Section(key="bills", router=router, templates_dir=_templates, locale_dir=_locale)
