"""What a portal section declares: its routes, templates, translations, navigation entries and
the tabs it adds to the customer 360 page.

A section lives in its own folder ``openbss/portal/<section>/`` and exposes ``SECTION``; the
portal finds it through ``openbss/portal/registry.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from markupsafe import Markup

from openbss.kit.security import Role

if TYPE_CHECKING:
    from openbss.portal.core.deps import PortalContext

# What a customer tab's ``render`` returns: ready HTML, or a template name and its values
# (rendered with the same filters and globals as a page).
TabContent = Markup | tuple[str, Mapping[str, Any]]


@dataclass(frozen=True)
class NavItem:
    """An entry of the header navigation. ``label`` is an English msgid (translated per
    user); ``roles`` None shows it to every role, else only to these."""

    key: str
    label: str
    href: str
    roles: frozenset[Role] | None = None

    def visible_to(self, role: Role) -> bool:
        return self.roles is None or role in self.roles


@dataclass(frozen=True)
class CustomerTab:
    """A tab of the customer 360 page, shown in ``order`` (ascending).

    ``render(ctx, party_id)`` returns the tab's content; it opens its own unit of work with
    ``ctx.session_factory`` and calls services with ``ctx.principal``. A service's refusal
    (e.g. 403 for a role that may not read bills) becomes a notice inside the tab.
    ``roles`` None shows the tab to every role.
    """

    key: str
    label: str
    order: int
    render: Callable[[PortalContext, str], TabContent]
    roles: frozenset[Role] | None = None

    def visible_to(self, role: Role) -> bool:
        return self.roles is None or role in self.roles


@dataclass(frozen=True)
class Section:
    """A folder of screens. ``templates_dir`` holds ``<key>/*.html`` (template names are
    ``"<key>/name.html"``); ``locale_dir`` holds ``zh_CN/LC_MESSAGES/messages.po``. Router
    paths are relative to ``/portal``, conventionally under ``/<key>``."""

    key: str
    router: APIRouter
    templates_dir: Path
    locale_dir: Path | None
    nav: tuple[NavItem, ...] = ()
    customer_tabs: tuple[CustomerTab, ...] = ()


def section_dirs(package_file: str) -> tuple[Path, Path]:
    """``(templates_dir, locale_dir)`` of the section whose ``__init__.py`` is given."""
    folder = Path(package_file).resolve().parent
    return folder / "templates", folder / "locale"
