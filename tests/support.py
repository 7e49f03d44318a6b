"""Helpers shared by the test suite."""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRE_ALL = os.environ.get("OPENBSS_REQUIRE_ALL") == "1"


def need(condition: bool, reason: str) -> None:
    """Skip when an outside tool is missing — but fail in CI, where everything is required."""
    if condition:
        return
    if REQUIRE_ALL:
        pytest.fail(f"required tool missing (OPENBSS_REQUIRE_ALL=1): {reason}")
    pytest.skip(reason)


def need_executable(name: str) -> str:
    path = shutil.which(name)
    need(path is not None, f"{name} is not installed")
    assert path is not None
    return path
