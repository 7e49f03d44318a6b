"""``openbss``: operate the BSS from the shell (Typer + Rich).

Every command is an entry point and owns its transaction; errors become a message on stderr
and exit code 1, never a traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console

from openbss.auth import service as auth_service
from openbss.db.engine import make_engine, make_session_factory
from openbss.db.migrate import upgrade
from openbss.db.uow import unit_of_work
from openbss.kit.errors import OpenBSSError
from openbss.kit.security import Role
from openbss.kit.settings import get_settings

app = typer.Typer(help="openbss — telecom Business Support System", no_args_is_help=True)
db_app = typer.Typer(help="Database schema", no_args_is_help=True)
auth_app = typer.Typer(help="API keys", no_args_is_help=True)
seed_app = typer.Typer(help="Seed data", no_args_is_help=True)
events_app = typer.Typer(help="Event delivery (outbox)", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(auth_app, name="auth")
app.add_typer(seed_app, name="seed")
app.add_typer(events_app, name="events")

err = Console(stderr=True)
out = Console()

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


@db_app.command("upgrade")
@clean_errors
def db_upgrade(revision: str = "head") -> None:
    """Apply database migrations (creates the SQLite file when needed)."""
    engine = make_engine()
    upgrade(engine, revision)
    err.print(f"database at revision {revision}: {engine.url.render_as_string(hide_password=True)}")


@auth_app.command("create-key")
@clean_errors
def create_key(
    role: Annotated[Role, typer.Option(help="Role of the key")],
    province: Annotated[
        str | None, typer.Option(help="Province code; omit for a group-level key")
    ] = None,
    label: Annotated[str | None, typer.Option(help="A note on who holds the key")] = None,
) -> None:
    """Create an API key and print it, alone on stdout, exactly once."""
    factory = make_session_factory(make_engine())
    with unit_of_work(factory) as session:
        key = auth_service.create_key(session, role, province, label)
    print(key)


@auth_app.command("list-keys")
@clean_errors
def list_keys() -> None:
    """List API keys (ids, roles, provinces; never secrets)."""
    from rich.table import Table

    factory = make_session_factory(make_engine())
    table = Table("key id", "role", "province", "label", "created", "revoked")
    with unit_of_work(factory) as session:
        for key in auth_service.list_keys(session):
            table.add_row(
                key.id,
                key.role,
                key.province or "(group)",
                key.label or "",
                key.created_at.isoformat(timespec="seconds"),
                key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else "",
            )
    out.print(table)


@auth_app.command("revoke-key")
@clean_errors
def revoke_key(key_id: str) -> None:
    """Revoke an API key by its id."""
    factory = make_session_factory(make_engine())
    with unit_of_work(factory) as session:
        revoked = auth_service.revoke_key(session, key_id)
    if not revoked:
        err.print(f"[red]error:[/red] no active key {key_id!r}")
        raise typer.Exit(1)
    err.print(f"key {key_id} revoked")


@events_app.command("dispatch")
@clean_errors
def events_dispatch() -> None:
    """Deliver pending events once (the server does this continuously)."""
    from openbss.events.dispatcher import dispatch_once

    delivered = dispatch_once(make_session_factory(make_engine()))
    err.print(f"{delivered} deliveries made")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
) -> None:
    """Run the API server."""
    import uvicorn

    from openbss.api.app import create_app

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    uvicorn.run(create_app(), host=host, port=port, log_level="info")


if __name__ == "__main__":  # pragma: no cover
    app()
