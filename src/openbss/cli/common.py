"""What every ``openbss`` command shares: consoles and clean error reporting."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from openbss.kit.errors import OpenBSSError

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
