"""Optional parts of the product, installed as extras (``pip install 'openbss[spark]'``).

A feature that needs an extra asks for it with :func:`require` before doing any work, so an
operator without it gets one line naming what to install instead of a traceback half-way
through a run.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType

from openbss.kit.errors import OpenBSSError


class MissingExtra(OpenBSSError):
    """A feature needs a package of an extra that is not installed."""

    status = 501
    code = "MISSING_EXTRA"
    reason = "Optional component not installed"


def _top(module: str) -> str:
    return module.split(".", 1)[0]


def installed(module: str) -> bool:
    """Whether ``module``'s top-level package is installed, without importing it."""
    top = _top(module)
    if top in sys.modules:
        return sys.modules[top] is not None  # None: blocked, as if not installed
    return importlib.util.find_spec(top) is not None


def missing(module: str, *, extra: str) -> MissingExtra:
    """The error saying that ``module`` is absent and which extra brings it."""
    top = _top(module)
    return MissingExtra(
        f"{top} is not installed: it comes with the {extra!r} extra "
        f"(pip install 'openbss[{extra}]', or uv sync --extra {extra})",
    )


def require(module: str, *, extra: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtra` saying which extra brings it.

    Only the absence of ``module`` itself (or of its top-level package) counts as missing: an
    installed package whose own import fails raises its own error.
    """
    if not installed(module):  # also when a submodule was imported before the package went
        raise missing(module, extra=extra)
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name not in (module, _top(module)):
            raise
        raise missing(module, extra=extra) from None
