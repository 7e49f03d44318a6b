"""Names that reach file paths: province codes, ids, and the data directory they live under.

Every store on files builds its paths from a province code, a period, a run or batch id.
Each such name is checked against its pattern *before* a path is built, and the path is then
resolved and checked to stay inside its root, so neither ``--province '../../x'`` nor an id
like ``../../etc/passwd`` can make the product read or write outside its data directory.
"""

from __future__ import annotations

import re
from pathlib import Path

from openbss.kit.errors import BadRequest

PROVINCE_PATTERN = re.compile(r"^[A-Z]{2,8}$")
# An id that may become a file or directory name: starts with a letter or digit, no slash,
# no spaces, at most 64 characters.
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


def _shown(value: object) -> str:
    text = str(value)
    return repr(text[:40] + ("…" if len(text) > 40 else ""))


def province_code(value: str) -> str:
    """``value`` if it is a province code (2-8 capital ASCII letters, e.g. GD), else 400."""
    if not isinstance(value, str) or not PROVINCE_PATTERN.fullmatch(value):
        raise BadRequest(
            f"a province is 2 to 8 capital letters (e.g. GD), got {_shown(value)}",
            code="INVALID_PROVINCE",
        )
    return value


def safe_id(value: str, what: str = "id") -> str:
    """``value`` if it can name a file (see ``ID_PATTERN``), else 400."""
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise BadRequest(
            f"{what} must be 1 to 64 letters, digits, '.', '_', ':' or '-' and start with a "
            f"letter or digit, got {_shown(value)}",
            code="INVALID_ID",
        )
    return value


def inside(root: Path, *parts: str) -> Path:
    """``root / parts...``, refused (400) unless it resolves (symbolic links and ``..``
    followed) to a place inside ``root``. The path is returned as joined, not resolved."""
    joined = root.joinpath(*parts)
    if not joined.resolve().is_relative_to(root.resolve()):
        raise BadRequest(
            f"the path {_shown('/'.join(parts))} leads outside {root}", code="PATH_OUTSIDE_ROOT"
        )
    return joined
