"""A feature that needs an extra says which one when it is missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from openbss.kit.errors import OpenBSSError
from openbss.kit.extras import MissingExtra, require


def test_an_installed_module_is_returned() -> None:
    assert require("json", extra="none").dumps([1]) == "[1]"


def test_a_missing_module_names_its_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if not installed
    with pytest.raises(MissingExtra) as raised:
        require("pyspark.sql", extra="spark")
    assert isinstance(raised.value, OpenBSSError)
    assert "pip install 'openbss[spark]'" in raised.value.message
    assert raised.value.message.startswith("pyspark is not installed")
    assert "\n" not in raised.value.message


def test_a_broken_installed_package_is_not_reported_as_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "half_installed"
    package.mkdir()
    (package / "__init__.py").write_text("import a_dependency_that_is_gone\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError) as raised:
        require("half_installed", extra="x")
    assert raised.value.name == "a_dependency_that_is_gone"
