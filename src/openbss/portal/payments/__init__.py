"""Payments at the counter, the printable receipt, an account's ledger and arrears."""

from __future__ import annotations

from openbss.portal.payments.routes import router
from openbss.portal.sections import Section, section_dirs

_templates, _locale = section_dirs(__file__)

SECTION = Section(key="payments", router=router, templates_dir=_templates, locale_dir=_locale)
