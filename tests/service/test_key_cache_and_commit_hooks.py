"""The request path's shortcuts keep their promises: a cached key answers as its row would
(revocation included, within the cache's lifetime), and only a unit of work that wrote wakes
the after-commit workers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from openbss.auth.cache import verified_keys
from openbss.auth.models import ApiKey
from openbss.auth.service import authenticate_cached, create_key, revoke_key
from openbss.db.uow import on_after_commit, remove_after_commit, unit_of_work
from openbss.kit.errors import Unauthenticated
from openbss.kit.security import Principal, Role
from openbss.party.models import Individual


class CountingFactory:
    """Opens sessions from ``factory`` and counts how many were opened."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory
        self.opened = 0

    def __call__(self) -> Session:
        self.opened += 1
        return self.factory()


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    verified_keys.clear()
    yield
    verified_keys.clear()


def new_key(factory: sessionmaker[Session]) -> tuple[str, str]:
    with unit_of_work(factory) as s:
        key = create_key(s, "csr", "GD")
    return key, key.split("_")[1]


def test_a_verified_key_is_not_read_again_within_its_lifetime(
    session_factory: sessionmaker[Session],
) -> None:
    key, key_id = new_key(session_factory)
    opener = CountingFactory(session_factory)
    first = authenticate_cached(opener, key, ttl=60)
    second = authenticate_cached(opener, key, ttl=60)
    assert first == second == Principal(key_id=key_id, role=Role.CSR, province="GD")
    assert opener.opened == 1


def test_ttl_zero_reads_the_row_every_time(session_factory: sessionmaker[Session]) -> None:
    key, _ = new_key(session_factory)
    opener = CountingFactory(session_factory)
    for _ in range(3):
        authenticate_cached(opener, key, ttl=0)
    assert opener.opened == 3


def test_a_wrong_secret_for_a_cached_key_is_refused_from_the_row(
    session_factory: sessionmaker[Session],
) -> None:
    key, _ = new_key(session_factory)
    opener = CountingFactory(session_factory)
    authenticate_cached(opener, key, ttl=60)
    forged = key[:-4] + ("aaaa" if not key.endswith("aaaa") else "bbbb")
    with pytest.raises(Unauthenticated, match="not valid"):
        authenticate_cached(opener, forged, ttl=60)
    assert opener.opened == 2  # the forged secret was checked against the row, not the cache


def test_revocation_in_this_process_takes_effect_at_once(
    session_factory: sessionmaker[Session],
) -> None:
    key, key_id = new_key(session_factory)
    authenticate_cached(session_factory, key, ttl=60)
    with unit_of_work(session_factory) as s:
        assert revoke_key(s, key_id)
    with pytest.raises(Unauthenticated, match="revoked"):
        authenticate_cached(session_factory, key, ttl=60)


def test_revocation_elsewhere_takes_effect_when_the_entry_expires(
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    key, key_id = new_key(session_factory)
    clock = [1000.0]
    monkeypatch.setattr("openbss.auth.cache.time.monotonic", lambda: clock[0])
    authenticate_cached(session_factory, key, ttl=5)
    # Another process (the CLI) revokes the key: this process's cache is not told.
    with unit_of_work(session_factory) as s:
        s.execute(update(ApiKey).where(ApiKey.id == key_id).values(revoked_at=datetime.now(UTC)))
    clock[0] += 4.9
    assert authenticate_cached(session_factory, key, ttl=5).key_id == key_id
    clock[0] += 0.2
    with pytest.raises(Unauthenticated, match="revoked"):
        authenticate_cached(session_factory, key, ttl=5)


def test_failures_are_not_cached(session_factory: sessionmaker[Session]) -> None:
    opener = CountingFactory(session_factory)
    unknown = "obss_0123456789abcdef_" + "x" * 43
    for _ in range(2):
        with pytest.raises(Unauthenticated, match="not valid"):
            authenticate_cached(opener, unknown, ttl=60)
    assert opener.opened == 2


def test_the_cache_is_bounded() -> None:
    from openbss.auth.cache import VerifiedKeys

    cache = VerifiedKeys(max_entries=2)
    who = Principal(key_id="k", role=Role.CSR, province="GD")
    for key_id in ("a", "b", "c"):
        cache.put(key_id, "d", who, ttl=60)
    assert cache.get("a", "d") is None
    assert cache.get("b", "d") == cache.get("c", "d") == who


@pytest.fixture
def pokes() -> Iterator[list[int]]:
    calls: list[int] = []

    def hook() -> None:
        calls.append(1)

    on_after_commit(hook)
    yield calls
    remove_after_commit(hook)


def _read(session: Session) -> None:
    session.get(Individual, "no-such-party")


def _write_key(session: Session) -> None:
    create_key(session, "csr", "GD")


def _core_update(session: Session) -> None:
    session.execute(update(ApiKey).where(ApiKey.id == "none").values(label="x"))


@pytest.mark.parametrize(
    ("work", "expected"),
    [(_read, 0), (_write_key, 1), (_core_update, 1)],
    ids=["read only", "orm write", "core update"],
)
def test_only_a_unit_of_work_that_wrote_runs_the_after_commit_hooks(
    session_factory: sessionmaker[Session],
    pokes: list[int],
    work: Callable[[Session], None],
    expected: int,
) -> None:
    with unit_of_work(session_factory) as s:
        work(s)
    assert len(pokes) == expected


def test_a_rolled_back_write_runs_no_hook(
    session_factory: sessionmaker[Session], pokes: list[int]
) -> None:
    with pytest.raises(RuntimeError), unit_of_work(session_factory) as s:
        _write_key(s)
        raise RuntimeError("the request failed")
    assert pokes == []


@pytest.mark.parametrize(
    ("work", "expected"),
    [(_read, []), (_write_key, ["keys"]), (_core_update, ["keys"])],
    ids=["read only", "orm write", "core update"],
)
def test_a_hook_that_names_its_tables_runs_only_after_writes_to_them(
    session_factory: sessionmaker[Session], work: Callable[[Session], None], expected: list[str]
) -> None:
    calls: list[str] = []

    def keys() -> None:
        calls.append("keys")

    def parties() -> None:
        calls.append("parties")

    on_after_commit(keys, tables=("api_",))
    on_after_commit(parties, tables=("party_",))
    try:
        with unit_of_work(session_factory) as s:
            work(s)
    finally:
        remove_after_commit(keys)
        remove_after_commit(parties)
    assert calls == expected
