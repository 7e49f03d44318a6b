"""Every failure of an ``openbss`` command as one line on stderr and a non-zero exit status.

The root command group runs a command without Click's standalone handling and turns what
escapes into a message: a usage mistake (bad option value, unknown command) exits 2, a
product error or anything unexpected exits 1. ``--debug`` lets unexpected exceptions through
with their traceback, for a developer.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from openbss.cli.common import err
from openbss.kit.errors import OpenBSSError

if TYPE_CHECKING:
    from sqlalchemy.exc import DBAPIError

NOT_INITIALISED = "the database is not initialised: run `openbss db upgrade`"
OUT_OF_DATE = "the database schema is older than this openbss: run `openbss db upgrade`"
# SQLSTATE of PostgreSQL: undefined table, undefined column.
_UNDEFINED_TABLE = "42P01"
_UNDEFINED_COLUMN = "42703"


def _first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else ""


def _sqlstate(exc: DBAPIError) -> str | None:
    original = exc.orig
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    return str(state) if state else None


def _database_error(exc: BaseException) -> DBAPIError | None:
    """``exc`` as SQLAlchemy's driver error, if it is one. SQLAlchemy is loaded by the commands
    that use the database, never for the others: an exception cannot be one of its errors
    unless it is loaded."""
    if "sqlalchemy.exc" not in sys.modules:
        return None
    from sqlalchemy.exc import DBAPIError

    return exc if isinstance(exc, DBAPIError) else None


def describe(exc: BaseException) -> str:
    """The one line an operator reads for a failure."""
    if isinstance(exc, OpenBSSError):
        return exc.message
    if (db_error := _database_error(exc)) is not None:
        detail = str(db_error.orig) if db_error.orig is not None else str(db_error)
        state = _sqlstate(db_error)
        if state == _UNDEFINED_TABLE or "no such table" in detail:
            return NOT_INITIALISED
        if state == _UNDEFINED_COLUMN or "no such column" in detail:
            return OUT_OF_DATE
        if db_error.connection_invalidated or "connect" in detail.lower():
            return f"cannot reach the database: {_first_line(detail)}"
        return f"database error: {_first_line(detail)}"
    message = _first_line(str(exc))
    return (
        f"unexpected {type(exc).__name__}{': ' + message if message else ''} "
        "(run with `openbss --debug …` to see where)"
    )


def _usage_line(exc: typer.TyperException) -> str:
    message = _first_line(exc.format_message())
    context = getattr(exc, "ctx", None)
    if context is not None:
        return f"{message} (see `{context.command_path} --help`)"
    return message


def _print(line: str) -> None:
    err.print(f"[red]error:[/red] {escape(line)}", soft_wrap=True, highlight=False)


class OpenBSSGroup(TyperGroup):
    """The root group: one line per failure, never a traceback unless ``--debug``."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv
        try:
            result = super().main(
                args=argv,
                prog_name=prog_name,
                complete_var=complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
            code = result if isinstance(result, int) else 0
        except typer.TyperException as exc:  # Click's usage errors, as Typer ships Click
            if type(exc).__name__ == "NoArgsIsHelpError":
                # The help was printed when the error was made: a group named without a
                # command shows its commands.
                code = exc.exit_code
            else:
                _print(_usage_line(exc))
                code = exc.exit_code
        except typer.Abort:
            _print("aborted")
            code = 1
        except Exception as exc:
            if debug:
                raise
            _print(describe(exc))
            code = 1
        if not standalone_mode:
            return code
        sys.exit(code)
