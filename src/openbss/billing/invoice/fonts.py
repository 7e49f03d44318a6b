"""The Chinese font embedded in every invoice: where it is found, or why it is not.

Invoices embed (a subset of) one CJK font, so a PDF prints the same on any reader. The font
comes from the operating system, not from this package: a Debian machine gets it with
``apt-get install fonts-wqy-microhei`` (small) or ``fonts-noto-cjk`` (nicer, with bold).
The search, first hit wins:

1. ``OPENBSS_INVOICE_FONT_DIR``, when set (and then nothing else: a wrong setting is an
   error, not a silent fallback);
2. the Debian packages' folders, Noto CJK before WenQuanYi;
3. fontconfig (``fc-list :lang=zh``), for fonts installed elsewhere.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import typst
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from openbss.kit.errors import OpenBSSError

FONT_PACKAGES = ("fonts-wqy-microhei", "fonts-noto-cjk")
DEBIAN_FONT_DIRS = (
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/truetype/wqy"),
)
# Families that cover simplified Chinese, in order of preference.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Serif CJK SC",
    "AR PL UMing CN",
)


class InvoiceFontSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENBSS_INVOICE_", extra="ignore")

    font_dir: Path | None = Field(
        default=None, description="Folder holding the CJK font embedded in invoices"
    )


class InvoiceFontMissing(OpenBSSError):
    """No Chinese font to embed: the machine lacks a package, or the setting is wrong."""

    status = 503
    code = "INVOICE_FONT_MISSING"
    reason = "Invoice font missing"


@dataclass(frozen=True, slots=True)
class InvoiceFont:
    directory: Path
    family: str


def _install_hint() -> str:
    packages = " or ".join(FONT_PACKAGES)
    return (
        f"install the Debian package {packages} (apt-get install -y {FONT_PACKAGES[0]}), "
        "or set OPENBSS_INVOICE_FONT_DIR to a folder holding a Chinese font"
    )


def _cjk_family(directory: Path) -> str | None:
    if not directory.is_dir():
        return None
    found = typst.Fonts(
        include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(directory)]
    ).families()
    return next((family for family in CJK_FAMILIES if family in found), None)


def _fontconfig_dirs() -> list[Path]:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        listing = subprocess.run(  # noqa: S603 - fixed arguments, the executable found on PATH
            [fc_list, ":lang=zh", "file"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    dirs: list[Path] = []
    for line in listing.splitlines():
        folder = Path(line.split(":", 1)[0].strip()).parent
        if folder not in dirs:
            dirs.append(folder)
    return dirs


@lru_cache(maxsize=4)
def _locate(font_dir: Path | None) -> InvoiceFont:
    if font_dir is not None:
        family = _cjk_family(font_dir)
        if family is None:
            raise InvoiceFontMissing(
                f"OPENBSS_INVOICE_FONT_DIR={font_dir} holds none of the Chinese fonts "
                f"{', '.join(CJK_FAMILIES)}: {_install_hint()}"
            )
        return InvoiceFont(font_dir, family)
    for directory in (*DEBIAN_FONT_DIRS, *_fontconfig_dirs()):
        family = _cjk_family(directory)
        if family is not None:
            return InvoiceFont(directory, family)
    raise InvoiceFontMissing(f"No Chinese font found to embed in invoices: {_install_hint()}")


def locate_invoice_font() -> InvoiceFont:
    """The folder and family of the CJK font for invoices; :class:`InvoiceFontMissing`
    names the package to install when there is none."""
    return _locate(InvoiceFontSettings().font_dir)
