"""``openbss auth create-user | list-users | disable-user``: the portal's users."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from openbss.cli.common import check_province, clean_errors, err, zone_for
from openbss.cli.output import Col, FormatOption, OutputFormat, render
from openbss.kit.security import Role

USER_COLUMNS = (
    Col("username"),
    Col("role"),
    Col("province", show=lambda p: p or "(group)"),
    Col("language"),
    Col("created_at", "created", "time"),
    Col("last_login_at", "last login", "time"),
    Col("disabled_at", "disabled", "time"),
)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # One line: what a password manager or a secret store pipes in.
        return sys.stdin.readline().rstrip("\r\n")
    first: str = typer.prompt("Password", hide_input=True)
    second: str = typer.prompt("Repeat the password", hide_input=True)
    if first != second:
        raise typer.BadParameter("the two passwords differ")
    return first


@clean_errors
def create_user(
    username: Annotated[str, typer.Argument(help="Login name (lower-case letters, digits, . _ -)")],
    role: Annotated[Role, typer.Option(help="Role of the user")],
    province: Annotated[
        str | None,
        typer.Option(help="Province code; omit for a group-level user", callback=check_province),
    ] = None,
    language: Annotated[str, typer.Option(help="Portal language: zh-CN or en")] = "zh-CN",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin (one line)")
    ] = False,
) -> None:
    """Create a portal user (asks for the password twice unless --password-stdin)."""
    from openbss.auth import users
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.db.uow import unit_of_work

    password = _read_password(password_stdin)
    factory = make_session_factory(make_engine())
    with unit_of_work(factory, writes=True) as session:
        user = users.create_user(session, username, password, role, province, language)
        name = user.username
    err.print(f"user {name} created ({role.value}, {province or 'group'})")


@clean_errors
def list_users(output: FormatOption = OutputFormat.TABLE) -> None:
    """List portal users (never passwords)."""
    from openbss.auth import users
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.db.uow import unit_of_work

    factory = make_session_factory(make_engine())
    with unit_of_work(factory) as session:
        rows = [
            {
                "username": user.username,
                "role": user.role,
                "province": user.province,
                "language": user.language,
                "created_at": user.created_at,
                "last_login_at": user.last_login_at,
                "disabled_at": user.disabled_at,
            }
            for user in users.list_users(session)
        ]
    render(rows, USER_COLUMNS, output, zone_for(None))


@clean_errors
def disable_user(
    username: Annotated[str, typer.Argument(help="The user to disable")],
) -> None:
    """Disable a portal user; their open sessions end at once."""
    from openbss.auth import users
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.db.uow import unit_of_work

    factory = make_session_factory(make_engine())
    with unit_of_work(factory, writes=True) as session:
        users.disable_user(session, username)
    err.print(f"user {username.strip().lower()} disabled")


def add_user_commands(auth_app: typer.Typer) -> None:
    auth_app.command("create-user")(create_user)
    auth_app.command("list-users")(list_users)
    auth_app.command("disable-user")(disable_user)
