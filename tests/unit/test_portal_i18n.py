"""Every label of the portal has its Chinese: the literal ``_("…")`` of every template of
every registered section, every navigation entry and every customer tab."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from openbss.portal.core.i18n import CHINESE, Catalogs, choose_language, from_accept_language
from openbss.portal.core.templating import CORE_LOCALE, CORE_TEMPLATES
from openbss.portal.customers.routes import MATCHED_BY
from openbss.portal.registry import SECTIONS

_LITERAL = re.compile(r"""(?<![\w.])_\(\s*(?:"([^"]+)"|'([^']+)')\s*\)""")
_PLURAL = re.compile(r"""ngettext\(\s*"([^"]+)"\s*,\s*"([^"]+)\"""")


def _catalogs() -> Catalogs:
    return Catalogs([CORE_LOCALE, *(s.locale_dir for s in SECTIONS if s.locale_dir)])


def _templates() -> list[Path]:
    folders = [CORE_TEMPLATES, *(s.templates_dir for s in SECTIONS)]
    return sorted(path for folder in folders for path in folder.rglob("*.html"))


def test_every_template_label_is_translated() -> None:
    chinese = _catalogs().get(CHINESE)
    missing = []
    templates = _templates()
    assert len(templates) >= 10
    for path in templates:
        text = path.read_text(encoding="utf-8")
        for match in _LITERAL.finditer(text):
            msgid = match.group(1) or match.group(2)
            if chinese.gettext(msgid) == msgid:
                missing.append(f"{path.name}: {msgid}")
        for singular, plural in _PLURAL.findall(text):
            if chinese.ngettext(singular, plural, 2) in (singular, plural):
                missing.append(f"{path.name}: {singular}")
    assert missing == []


def test_every_navigation_entry_and_tab_is_translated() -> None:
    chinese = _catalogs().get(CHINESE)
    labels = [item.label for s in SECTIONS for item in s.nav]
    labels += [tab.label for s in SECTIONS for tab in s.customer_tabs]
    labels += list(MATCHED_BY.values())
    assert [label for label in labels if chinese.gettext(label) == label] == []


def test_english_is_the_message_id_and_plural_forms_work() -> None:
    catalogs = _catalogs()
    assert catalogs.get("en").gettext("Log in") == "Log in"
    assert catalogs.get(CHINESE).gettext("Log in") == "登录"
    found = catalogs.get(CHINESE).ngettext("%(num)d customer found", "%(num)d customers found", 3)
    assert found % {"num": 3} == "找到 3 位客户"
    # an unknown language falls back to Chinese, the product's default
    assert catalogs.get("fr").gettext("Log in") == "登录"


@pytest.mark.parametrize(
    ("header", "expected"),
    [("zh-CN,zh;q=0.9", "zh-CN"), ("en-US,en;q=0.8", "en"), ("fr", None), (None, None)],
)
def test_accept_language(header: str | None, expected: str | None) -> None:
    assert from_accept_language(header) == expected


def test_choose_language() -> None:
    assert choose_language(None, "en") == "en"
    assert choose_language("zh-CN", "en") == "zh-CN"
    assert choose_language("xx", None) == "zh-CN"
