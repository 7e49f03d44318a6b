"""What every ``openbss`` command shares: consoles, clean error reporting, the province."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from openbss.db.engine import make_engine, make_session_factory
from openbss.db.uow import unit_of_work
from openbss.kit.errors import OpenBSSError
from openbss.kit.names import province_code, safe_id
from openbss.kit.settings import Settings

err = Console(stderr=True)
out = Console()

# The deployment's province, read once when the command starts; every ``--province`` that
# names one province defaults to it.
DEFAULT_PROVINCE = Settings().default_province


def checked_province(value: str | None) -> str | None:
    """A ``--province`` value checked against the province pattern when the command line is
    parsed, before the command builds any path from it (exit status 2 otherwise)."""
    if value is None:
        return None
    try:
        return province_code(value)
    except OpenBSSError as exc:
        raise typer.BadParameter(exc.message) from None


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


def province_option(what: str = "Province") -> Any:
    """A ``--province`` option; its default is :data:`DEFAULT_PROVINCE`."""
    return typer.Option(
        help=f"{what} (default from OPENBSS_DEFAULT_PROVINCE)", callback=checked_province
    )


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
    with unit_of_work(make_session_factory(make_engine())) as session:
        yield session
