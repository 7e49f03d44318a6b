"""The strict BER reader: encodings it accepts, encodings it refuses, and properties on
arbitrary bytes (only BerError, never a read past the end)."""

from __future__ import annotations

from typing import SupportsIndex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openbss.mediation.decoders import ber


def tlv(first: bytes, content: bytes) -> bytes:
    """A definite-length encoding with the shortest length form."""
    n = len(content)
    if n < 0x80:
        return first + bytes([n]) + content
    size = (n.bit_length() + 7) // 8
    return first + bytes([0x80 | size]) + n.to_bytes(size, "big") + content


def test_short_form_primitive() -> None:
    data = bytes.fromhex("020105")
    got = ber.frame(data)
    assert got.key == ber.univ(2)
    assert not got.constructed and not got.indefinite
    assert (got.start, got.value_start, got.value_end, got.end) == (0, 2, 3, 3)
    assert ber.decode_int(got.value(data)) == 5


def test_long_form_tag_and_length() -> None:
    content = b"x" * 300
    data = tlv(bytes.fromhex("5f8144"), content)  # [APPLICATION 196], 2-octet length
    got = ber.frame(data)
    assert got.key == ber.app(196)
    assert got.cls == ber.APPLICATION and got.number == 196
    assert got.value(data) == content
    assert ber.describe_key(got.key) == "[APPLICATION 196]"
    assert ber.describe_key(ber.ctx(79)) == "[79]"


def test_nested_definite_and_child_lookup() -> None:
    inner = tlv(b"\x80", b"\x01") + tlv(b"\x81", b"\x02\x03") + tlv(b"\xa2", tlv(b"\x80", b"z"))
    data = tlv(b"\x30", inner)
    top = ber.frame(data)
    kids = list(ber.children(data, top))
    assert [k.key for k in kids] == [ber.ctx(0), ber.ctx(1), ber.ctx(2)]
    found = ber.child_map(data, top)
    assert found[ber.ctx(1)].value(data) == b"\x02\x03"
    deep = ber.find(data, top, ber.ctx(2), ber.ctx(0))
    assert deep is not None and deep.value(data) == b"z"
    assert ber.find(data, top, ber.ctx(9)) is None
    assert ber.find(data, top, ber.ctx(0), ber.ctx(0)) is None  # primitive: no children


def test_indefinite_length_with_end_of_contents() -> None:
    # SEQUENCE (indefinite) { [0] 'a', [1] (indefinite) { [0] 'b' } }
    data = bytes.fromhex("3080800161a18080016200000000")
    top = ber.frame(data)
    assert top.indefinite and top.end == len(data) and top.value_end == len(data) - 2
    kids = list(ber.children(data, top))
    assert [k.indefinite for k in kids] == [False, True]
    assert ber.find(data, top, ber.ctx(1), ber.ctx(0)).value(data) == b"b"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("hexdata", "reason"),
    [
        ("", "identifier expected"),
        ("02", "length expected"),
        ("0205 0102", "runs past the end"),
        ("0888ffffffffffffffff00", "runs past the end"),  # length_overflow-style
        ("0489" + "01" * 9, "length in 9 octets"),
        ("04ff00", "reserved length octet"),
        ("0480 0000", "indefinite length on a primitive"),
        ("3080 020101", "end-of-contents missing"),
        ("3003 020101 00", "octets after the end"),
        ("020101 0000", "octets after the end"),  # a trailing end-of-contents
        ("0000", "end-of-contents where a value was expected"),
        ("3002 0000", "end-of-contents where a value was expected"),
        ("1f0501", "long form"),  # tag 5 written in the long form
        ("1f800501", "leading zero octet"),
        ("1f8181818101 00", "longer than 4 octets"),
        ("1f81", "runs past the end"),
        ("3004 0205 0101", "runs past the end"),  # child longer than its parent
    ],
)
def test_malformed_encodings_are_refused(hexdata: str, reason: str) -> None:
    with pytest.raises(ber.BerError, match=reason):
        ber.frame(bytes.fromhex(hexdata.replace(" ", "")))


def test_depth_limit() -> None:
    data = b"\x05\x00"
    for _ in range(60):
        data = tlv(b"\x30", data)
    with pytest.raises(ber.BerError, match="nesting deeper than 48"):
        ber.frame(data)
    assert ber.frame(data, max_depth=100).key == ber.univ(16)
    indefinite = b"\x30\x80" * 60 + b"\x05\x00" + b"\x00\x00" * 60
    with pytest.raises(ber.BerError, match="nesting deeper"):
        ber.frame(indefinite)


def test_error_carries_offset() -> None:
    with pytest.raises(ber.BerError) as caught:
        ber.frame(bytes.fromhex("3005 0201ff 0405"))
    assert caught.value.offset == 5
    assert "runs past the end" in caught.value.reason


def test_primitive_contents_are_not_descended() -> None:
    data = tlv(b"\x04", b"\x30\x99")  # an OCTET STRING whose contents look like a bad TLV
    assert ber.frame(data).value(data) == b"\x30\x99"


def test_decode_int() -> None:
    assert ber.decode_int(b"\xff") == -1
    assert ber.decode_int(b"\x00\x80") == 128
    assert ber.decode_uint(b"\x80") == 128
    with pytest.raises(ber.BerError, match="no contents"):
        ber.decode_int(b"")


class Guarded(bytes):
    """Bytes that fail the test when anything reads at or beyond ``limit``."""

    limit: int

    def __getitem__(self, index: SupportsIndex | slice) -> int | bytes:  # type: ignore[override]
        if isinstance(index, slice):
            stop = index.stop if index.stop is not None else len(self)
            assert stop <= self.limit, f"read up to {stop} past end {self.limit}"
        else:
            assert int(index) < self.limit, f"read at {int(index)} past end {self.limit}"
        return super().__getitem__(index)


@settings(max_examples=600, deadline=None)
@given(st.binary(max_size=64), st.binary(min_size=1, max_size=8))
def test_arbitrary_bytes_raise_only_ber_error_and_stay_in_bounds(data: bytes, tail: bytes) -> None:
    guarded = Guarded(data + tail)
    guarded.limit = len(data)
    try:
        top = ber.read_tlv(guarded, 0, len(data))
    except ber.BerError:
        return
    assert top.end <= len(data)
    try:
        ber.validate(guarded, top)
        for child in ber.children(guarded, top) if top.constructed else []:
            assert child.end <= top.value_end
    except ber.BerError:
        pass


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=80))
def test_frame_on_arbitrary_bytes(data: bytes) -> None:
    try:
        top = ber.frame(data)
    except ber.BerError as exc:
        assert 0 <= exc.offset <= len(data)
        return
    assert top.start == 0 and top.end == len(data)


def _encode(node: tuple[int, object], indefinite: bool) -> bytes:
    tag, content = node
    if isinstance(content, bytes):
        return tlv(bytes([0x80 | tag]), content)
    inner = b"".join(_encode(child, indefinite) for child in content)  # type: ignore[attr-defined]
    if indefinite:
        return bytes([0xA0 | tag, 0x80]) + inner + b"\x00\x00"
    return tlv(bytes([0xA0 | tag]), inner)


def _count(node: tuple[int, object]) -> int:
    content = node[1]
    return 1 if isinstance(content, bytes) else 1 + sum(_count(c) for c in content)  # type: ignore[attr-defined]


trees = st.recursive(
    st.tuples(st.integers(0, 30), st.binary(max_size=140)),
    lambda kids: st.tuples(st.integers(0, 30), st.lists(kids, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(trees, st.booleans())
def test_well_formed_trees_are_read_back(tree: tuple[int, object], indefinite: bool) -> None:
    data = _encode(tree, indefinite)
    top = ber.frame(data)
    assert top.number == tree[0]

    def walk(node: ber.Tlv, expected: tuple[int, object]) -> int:
        assert node.number == expected[0]
        content = expected[1]
        if isinstance(content, bytes):
            assert node.value(data) == content
            return 1
        kids = list(ber.children(data, node))
        assert len(kids) == len(content)  # type: ignore[arg-type]
        return 1 + sum(walk(k, e) for k, e in zip(kids, content, strict=True))  # type: ignore[call-overload]

    assert walk(top, tree) == _count(tree)
    with pytest.raises(ber.BerError):
        ber.frame(data + b"\x00")
    with pytest.raises(ber.BerError):
        ber.frame(data[:-1])


def _frame_then_members(data: bytes) -> tuple[ber.Tlv, dict[int, tuple[int, int, bool]]]:
    top = ber.frame(data)
    if not top.constructed:
        raise ber.BerError("primitive", 0)
    return top, ber.member_spans(data, top)


def _same_outcome(data: bytes) -> None:
    """frame_members (one pass, the 3GPP hot path) agrees with frame + member_spans."""
    try:
        expected = _frame_then_members(data)
    except ber.BerError:
        with pytest.raises(ber.BerError):
            ber.frame_members(data)
        return
    assert ber.frame_members(data) == expected


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=64))
def test_frame_members_on_arbitrary_bytes(data: bytes) -> None:
    _same_outcome(b"\x30" + bytes([len(data)]) + data if len(data) < 0x80 else data)
    _same_outcome(b"\x30\x80" + data)
    _same_outcome(data)


@settings(max_examples=200, deadline=None)
@given(trees, st.booleans(), st.binary(max_size=3))
def test_frame_members_on_trees(tree: tuple[int, object], indefinite: bool, tail: bytes) -> None:
    data = _encode(tree, indefinite)
    _same_outcome(data)
    _same_outcome(data + tail)
    _same_outcome(data[:-1])
