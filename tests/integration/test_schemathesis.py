"""Property-based API fuzzing with schemathesis: no TMF operation ever answers 5xx.

The app's own OpenAPI document drives the generation — valid and invalid bodies, query strings,
headers and path parameters — for every operation under ``/tmf-api/`` and ``/api/v1/``, whichever
APIs are mounted today. Requests go in-process through ASGI to an app on a fresh SQLite file,
authenticated with an admin key of province GD. Ids that a POST created are remembered, so
GET, PATCH and DELETE of ``.../{id}`` also hit existing resources, not only 404s.

The check is schemathesis' ``not_a_server_error``; the one exception is a 501 whose body carries
the product's ``NOT_IMPLEMENTED`` error code — an operation the product refuses on purpose
(e.g. TMF listener endpoints of an API that only publishes events), not a failure.

Bounded and deterministic: ``MAX_EXAMPLES`` per operation and generation mode, derandomized.

(schemathesis' own pytest plugin — ``schema.parametrize()`` — does not run on pytest 9.2,
where ``Node._nodeid`` is gone; the operations' Hypothesis strategies are used directly.)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from sqlalchemy.orm import sessionmaker

from openbss.api.app import create_app
from openbss.auth.service import create_key
from openbss.db.engine import make_engine, make_session_factory
from openbss.db.uow import unit_of_work
from openbss.registry import metadata

MAX_EXAMPLES = 25
# The TMF APIs and the product's own APIs (numbers, rating).
FUZZED_PREFIXES = ("/tmf-api/", "/api/v1/")
METHOD_ORDER = {"post": 0, "get": 1, "patch": 2, "put": 3, "delete": 4}


def _tmf_operations() -> list[tuple[str, str]]:
    """(method, path) of every TMF operation, creating operations first, deletions last."""
    document = create_app(sessionmaker(), dispatch_events=False).openapi()
    operations = [
        (method, path)
        for path, methods in document["paths"].items()
        if path.startswith(FUZZED_PREFIXES)
        for method in methods
        if method in METHOD_ORDER
    ]

    def order(operation: tuple[str, str]) -> tuple[str, bool, int]:
        method, path = operation
        item = path.endswith("}")
        collection = path.rsplit("/", 1)[0] if item else path
        return collection, item, METHOD_ORDER[method]

    return sorted(operations, key=order)


OPERATIONS = _tmf_operations()


@dataclass
class FuzzTarget:
    schema: Any
    headers: dict[str, str]
    created: dict[str, list[str]] = field(default_factory=dict)

    def remember(self, collection: str, response: Any) -> None:
        if response.status_code != 201:
            return
        try:
            body = response.json()
        except ValueError:
            return
        if isinstance(body, dict) and isinstance(body.get("id"), str):
            self.created.setdefault(collection, []).append(body["id"])


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    path = Path(tmp_path_factory.mktemp("schemathesis")) / "openbss.db"
    engine = make_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        key = create_key(session, "admin", "GD", "schemathesis")
    app = create_app(factory, dispatch_events=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    yield FuzzTarget(schema=schema, headers={"authorization": f"Bearer {key}"})
    engine.dispose()


def deliberately_not_implemented(response: Any) -> bool:
    """A documented refusal (501 with the product's NOT_IMPLEMENTED code), not a crash."""
    if response.status_code != 501:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("code") == "NOT_IMPLEMENTED"


@pytest.mark.skipif(not OPERATIONS, reason="no TMF operation is mounted")
@pytest.mark.parametrize(
    ("method", "path"), OPERATIONS, ids=[f"{m.upper()} {p}" for m, p in OPERATIONS]
)
def test_no_tmf_operation_answers_5xx(fuzz_target: FuzzTarget, method: str, path: str) -> None:
    operation = fuzz_target.schema[path][method.upper()]
    item = path.endswith("}")
    collection = path.rsplit("/", 1)[0] if item else path
    # The credentials are fixed, not generated: otherwise negative generation spends most of
    # its examples on "no Authorization header" (401), which the API tests already cover.
    fixed = {"headers": fuzz_target.headers}
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE, **fixed),
        operation.as_strategy(GenerationMode.NEGATIVE, **fixed),
    )

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, data=st.data())
    def fuzz(case: Any, data: st.DataObject) -> None:
        known = fuzz_target.created.get(collection, [])
        if item and known and len(case.path_parameters or {}) == 1 and data.draw(st.booleans()):
            (name,) = case.path_parameters
            case.path_parameters = {name: data.draw(st.sampled_from(known[-20:]))}
        # The caller acts for its own province: a generated X-Province would only exercise
        # the 403/422 answers of the province check again and again.
        case.headers = {
            name: value
            for name, value in (case.headers or {}).items()
            if name.lower() != "x-province"
        }
        response = case.call(headers=fuzz_target.headers)
        if not deliberately_not_implemented(response):
            case.validate_response(response, checks=[not_a_server_error])
        if method == "post" and not item:
            fuzz_target.remember(collection, response)

    fuzz()
