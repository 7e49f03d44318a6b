"""Translations: one gettext catalog per language, merged from every section's ``.po`` file.

The ``.po`` files are compiled in memory at start-up (``babel.messages.pofile`` read,
``mofile`` written to a buffer), so no compiled ``.mo`` file is committed or built by hand.
Message ids are the English text, so English needs no catalog.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Final

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

ENGLISH: Final = "en"
CHINESE: Final = "zh-CN"
LANGUAGES: Final = (CHINESE, ENGLISH)
# The folder name of each language's catalog under a section's locale directory.
_LOCALE_FOLDER: Final = {CHINESE: "zh_CN"}


def _compile(po_file: Path, locale: str) -> Translations:
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


class Catalogs:
    """The merged catalog of every language, looked up per request."""

    def __init__(self, locale_dirs: Iterable[Path]) -> None:
        self._by_language: dict[str, gettext.NullTranslations] = {
            ENGLISH: gettext.NullTranslations()
        }
        for language, folder in _LOCALE_FOLDER.items():
            merged: Translations | None = None
            for locale_dir in locale_dirs:
                po_file = locale_dir / folder / "LC_MESSAGES" / "messages.po"
                if not po_file.is_file():
                    continue
                compiled = _compile(po_file, folder)
                merged = compiled if merged is None else merged.merge(compiled)
            self._by_language[language] = merged or gettext.NullTranslations()

    def get(self, language: str) -> gettext.NullTranslations:
        return self._by_language.get(language, self._by_language[CHINESE])


@lru_cache(maxsize=8)
def catalogs_for(locale_dirs: tuple[Path, ...]) -> Catalogs:
    """The merged catalogs of these folders, compiled once per process."""
    return Catalogs(locale_dirs)


def choose_language(*candidates: str | None) -> str:
    """The first supported language among the candidates (stored, cookie, header…)."""
    for candidate in candidates:
        if candidate in LANGUAGES:
            return candidate
    return CHINESE


def from_accept_language(header: str | None) -> str | None:
    """``zh-CN`` or ``en`` from the first language tag of an Accept-Language header."""
    if not header:
        return None
    first = header.split(",", 1)[0].split(";", 1)[0].strip().lower()
    if first.startswith("zh"):
        return CHINESE
    if first.startswith("en"):
        return ENGLISH
    return None
