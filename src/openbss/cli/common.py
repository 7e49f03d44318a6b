"""What every ``openbss`` command shares: consoles, clean error reporting, the province."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from openbss.kit.errors import OpenBSSError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# The command modules import the database, the settings and the domains inside their
# commands, not at the top: `openbss --help` (and the shell's completion) then loads Typer and
# Rich only, not SQLAlchemy, Pydantic, Polars or PySpark.

err = Console(stderr=True)
out = Console()

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


def province_option(what: str = "Province") -> Any:
    """A ``--province`` option; its default is :data:`DEFAULT_PROVINCE`."""
    return typer.Option(help=f"{what} (default from OPENBSS_DEFAULT_PROVINCE)")


P = ParamSpec("P")
R = TypeVar("R")


def clean_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn product errors into a one-line message and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except OpenBSSError as exc:
            err.print(f"[red]error:[/red] {exc.message}")
            raise typer.Exit(1) from None

    return wrapper


@contextmanager
def database_work() -> Iterator[Session]:
    """One unit of work on the configured database: the command's transaction, committed
    when the block ends and rolled back if it raises."""
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.db.uow import unit_of_work

    with unit_of_work(make_session_factory(make_engine())) as session:
        yield session
