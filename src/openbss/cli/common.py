"""What every ``openbss`` command shares: consoles, clean error reporting, the province,
day options, optional extras."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

import typer
from rich.console import Console, ConsoleDimensions
from rich.markup import escape

from openbss.kit import extras
from openbss.kit.errors import OpenBSSError
from openbss.kit.names import safe_id
from openbss.refdata.provinces import PROVINCE_ZONES, province_zone

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# The command modules import the database, the settings and the domains inside their
# commands, not at the top: `openbss --help` (and the shell's completion) then loads Typer and
# Rich only, not SQLAlchemy, Pydantic, Polars or PySpark.

# Piped or redirected output is read by scripts and pasted by people: it is never cut or
# wrapped to a terminal's width (COLUMNS is ignored there), so an id stays whole on its line.
PIPE_WIDTH = 100_000


class WholeLinesConsole(Console):
    """A Rich console that is as wide as its content when it does not write to a terminal."""

    @property
    def size(self) -> ConsoleDimensions:
        measured = super().size
        if self.is_terminal:
            return measured
        return ConsoleDimensions(PIPE_WIDTH, measured.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        width, height = new_size
        self._width = width
        self._height = height


err = WholeLinesConsole(stderr=True)
out = WholeLinesConsole()

# Settings' default province (``kit.settings.Settings.default_province``), read here from the
# environment as Settings reads it (any case) so that building the options does not load
# Pydantic; tests/unit/test_cli_startup.py holds the two to the same answer.
_PROVINCE_VARIABLE = "OPENBSS_DEFAULT_PROVINCE"
_PROVINCE_WHEN_UNSET = "GD"


def default_province(environ: os._Environ[str] | dict[str, str] = os.environ) -> str:
    """The deployment's province as ``OPENBSS_DEFAULT_PROVINCE`` gives it (else GD)."""
    for name, value in environ.items():
        if name.upper() == _PROVINCE_VARIABLE:
            return value
    return _PROVINCE_WHEN_UNSET


# The deployment's province, read once when the command starts; every ``--province`` that
# names one province defaults to it.
DEFAULT_PROVINCE = default_province()


def known_province(code: str) -> bool:
    """A province the product knows (ISO 3166-2:CN), or the deployment's own."""
    return code in PROVINCE_ZONES or code == DEFAULT_PROVINCE


def check_province(value: str | None) -> str | None:
    """Option callback: an unknown province code is a usage error, before any work."""
    if value is None or known_province(value):
        return value
    if known_province(value.upper()):
        return value.upper()
    raise typer.BadParameter(
        f"unknown province {value!r}; use a code such as GD or BJ (ISO 3166-2:CN)"
    )


def province_option(what: str = "Province", *, default_note: str | None = None) -> Any:
    """A ``--province`` option (checked against the known province codes); its default is
    :data:`DEFAULT_PROVINCE` unless the command says otherwise in ``default_note``."""
    note = default_note or "default from OPENBSS_DEFAULT_PROVINCE"
    return typer.Option(help=f"{what} ({note})", callback=check_province)


def zone_for(province: str | None) -> ZoneInfo:
    """The zone a province's times are shown in (the deployment's zone for group views)."""
    from openbss.kit.settings import get_settings

    return province_zone(province, get_settings().timezone)


def parse_day(value: str) -> date:
    """Option parser of a calendar day: YYYY-MM-DD and a real date, nothing else."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; expected YYYY-MM-DD") from None


def day_option(help_text: str) -> Any:
    return typer.Option(help=help_text, parser=parse_day, metavar="YYYY-MM-DD")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one error line; the caller raises what this returns."""
    err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True, highlight=False)
    return typer.Exit(code)


def warn(message: str) -> None:
    """A warning on stderr: the command still succeeds (e.g. it found nothing to do)."""
    err.print(f"[yellow]warning:[/yellow] {escape(message)}", soft_wrap=True, highlight=False)


def module_installed(module: str) -> bool:
    """Whether an optional dependency is installed (looked up, not imported)."""
    return extras.installed(module)


def require_extra(module: str, extra: str, feature: str) -> None:
    """Stop before any work when an optional dependency is not installed: the same message
    as :func:`openbss.kit.extras.require` gives, led by the feature that needs it."""
    if not module_installed(module):
        raise fail(f"{feature}: {extras.missing(module, extra=extra).message}")


def checked_id(what: str) -> Callable[[str | None], str | None]:
    """A command-line callback checking an id (a tariff, a run) against ``kit.names``."""

    def check(value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return safe_id(value, what)
        except OpenBSSError as exc:
            raise typer.BadParameter(exc.message) from None

    return check


P = ParamSpec("P")
R = TypeVar("R")


def clean_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn product errors into a one-line message and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except OpenBSSError as exc:
            raise fail(exc.message) from None

    return wrapper


@contextmanager
def database_work() -> Iterator[Session]:
    """One unit of work on the configured database: the command's transaction, committed
    when the block ends and rolled back if it raises."""
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.db.uow import unit_of_work

    with unit_of_work(make_session_factory(make_engine())) as session:
        yield session
