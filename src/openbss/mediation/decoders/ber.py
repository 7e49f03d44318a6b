"""A small, strict BER (ITU-T X.690) TLV reader.

It knows nothing about any ASN.1 module: it reads identifier and length octets, follows
definite and indefinite lengths (with end-of-contents octets), walks nested constructed
values and checks every bound. Two uses:

* framing — a file or a record must be exactly one TLV whose encoding ends at the last byte.
  ASN.1 toolkits stop decoding where the value ends and ignore what follows (trailing
  end-of-contents octets, garbage), so the decoders check the frame here first;
* a second decoder — tests read fields through this module, independently of the ASN.1
  toolkit, and compare; the 3GPP decoder also uses it as its fast path.

Every malformed input raises :class:`BerError` (never ``IndexError`` or a recursion error),
and nothing is read past the ``end`` given.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

UNIVERSAL = 0
APPLICATION = 1
CONTEXT = 2
PRIVATE = 3

# Deep enough for TAP (about 12 levels) and 3GPP CDRs (about 8); shallow enough that a hostile
# file cannot exhaust the interpreter's stack.
DEFAULT_MAX_DEPTH = 48
# Tag numbers above 2**28 and lengths above 2**62 are never legitimate in the files we read.
_MAX_TAG_OCTETS = 4
_MAX_LENGTH_OCTETS = 8


class BerError(ValueError):
    """The bytes are not a well-formed BER encoding; ``offset`` is where it went wrong."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} at offset {offset}")
        self.reason = message
        self.offset = offset


def tag_key(cls: int, number: int) -> int:
    """One int for (class, number), so that children can be looked up in plain dicts."""
    return (cls << 28) | number


def app(number: int) -> int:
    return tag_key(APPLICATION, number)


def ctx(number: int) -> int:
    return tag_key(CONTEXT, number)


def univ(number: int) -> int:
    return tag_key(UNIVERSAL, number)


def describe_key(key: int) -> str:
    """A tag key as ASN.1 notation, for error messages: ``[APPLICATION 4]``."""
    cls, number = key >> 28, key & 0x0FFF_FFFF
    name = ("UNIVERSAL", "APPLICATION", "", "PRIVATE")[cls]
    return f"[{name} {number}]" if name else f"[{number}]"


class Tlv(NamedTuple):
    """One tag-length-value; offsets index the buffer it was read from.

    A named tuple rather than a dataclass: decoders create one per field, and tuples are
    the cheapest objects Python makes."""

    key: int  # tag_key(class, number)
    constructed: bool
    start: int  # first identifier octet
    value_start: int  # first contents octet
    value_end: int  # one past the last contents octet (before any end-of-contents octets)
    end: int  # one past the whole encoding, end-of-contents included
    indefinite: bool

    @property
    def cls(self) -> int:
        return self.key >> 28

    @property
    def number(self) -> int:
        return self.key & 0x0FFF_FFFF

    def value(self, buf: bytes) -> bytes:
        return buf[self.value_start : self.value_end]


def read_header(buf: bytes, pos: int, end: int) -> tuple[int, bool, int, int]:
    """Identifier and length octets at ``pos``: (key, constructed, value_start, length).

    ``length`` is -1 for the indefinite form. Raises BerError when an octet would lie at or
    beyond ``end`` or the encoding is not allowed by X.690.
    """
    if pos >= end:
        raise BerError("identifier expected, data ends", pos)
    first = buf[pos]
    if first & 0x1F != 0x1F and pos + 1 < end and buf[pos + 1] < 0x80:
        # The common case, one identifier and one length octet, without the general code.
        return (first >> 6) << 28 | (first & 0x1F), bool(first & 0x20), pos + 2, buf[pos + 1]
    cls = first >> 6
    constructed = bool(first & 0x20)
    number = first & 0x1F
    p = pos + 1
    if number == 0x1F:
        number = 0
        for count in range(_MAX_TAG_OCTETS):
            if p >= end:
                raise BerError("tag number runs past the end", p)
            octet = buf[p]
            p += 1
            if count == 0 and octet == 0x80:
                raise BerError("tag number has a leading zero octet", p - 1)
            number = (number << 7) | (octet & 0x7F)
            if not octet & 0x80:
                break
        else:
            raise BerError("tag number longer than 4 octets", pos)
        if number < 0x1F:
            raise BerError(f"tag number {number} in the long form", pos)
    if p >= end:
        raise BerError("length expected, data ends", p)
    octet = buf[p]
    p += 1
    if octet < 0x80:
        length = octet
    elif octet == 0x80:
        if not constructed:
            raise BerError("indefinite length on a primitive value", p - 1)
        length = -1
    elif octet == 0xFF:
        raise BerError("reserved length octet 0xFF", p - 1)
    else:
        count = octet & 0x7F
        if count > _MAX_LENGTH_OCTETS:
            raise BerError(f"length in {count} octets", p - 1)
        if p + count > end:
            raise BerError("length octets run past the end", p)
        length = int.from_bytes(buf[p : p + count], "big")
        p += count
    return cls << 28 | number, constructed, p, length


def read_tlv(
    buf: bytes,
    pos: int = 0,
    end: int | None = None,
    depth: int = 0,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Tlv:
    """The TLV at ``pos``, which must end at or before ``end`` (default: end of ``buf``).

    A definite-length value is only bounds-checked; an indefinite-length one is walked
    child by child (it has to be, to find its end-of-contents octets).
    """
    limit = len(buf) if end is None else end
    if depth > max_depth:
        raise BerError(f"nesting deeper than {max_depth}", pos)
    key, constructed, value_start, length = read_header(buf, pos, limit)
    if key == 0:
        # [UNIVERSAL 0] is reserved for end-of-contents; here a value was expected.
        raise BerError("end-of-contents where a value was expected", pos)
    if length >= 0:
        value_end = value_start + length
        if value_end > limit:
            raise BerError(
                f"value of {length} octets runs past the end ({limit - value_start} left)", pos
            )
        return Tlv(key, constructed, pos, value_start, value_end, value_end, False)
    p = value_start
    while True:
        if p + 2 <= limit and buf[p] == 0 and buf[p + 1] == 0:
            return Tlv(key, True, pos, value_start, p, p + 2, True)
        if p >= limit:
            raise BerError("end-of-contents missing", pos)
        p = _walk(buf, p, limit, depth + 1, max_depth)


def iter_tlvs(
    buf: bytes, start: int, end: int, depth: int = 0, *, max_depth: int = DEFAULT_MAX_DEPTH
) -> Iterator[Tlv]:
    """The TLVs that exactly fill ``buf[start:end]``, in order."""
    p = start
    while p < end:
        tlv = read_tlv(buf, p, end, depth, max_depth=max_depth)
        yield tlv
        p = tlv.end


def children(
    buf: bytes, tlv: Tlv, depth: int = 0, *, max_depth: int = DEFAULT_MAX_DEPTH
) -> Iterator[Tlv]:
    """The direct children of a constructed TLV."""
    if not tlv.constructed:
        raise BerError(f"{describe_key(tlv.key)} is primitive, not constructed", tlv.start)
    return iter_tlvs(buf, tlv.value_start, tlv.value_end, depth + 1, max_depth=max_depth)


def child_map(buf: bytes, tlv: Tlv, *, max_depth: int = DEFAULT_MAX_DEPTH) -> dict[int, Tlv]:
    """The direct children by tag key (the first of each key: SET / SEQUENCE members).

    For headers read once per file; per-record hot paths use member_spans.
    """
    found: dict[int, Tlv] = {}
    for child in children(buf, tlv, max_depth=max_depth):
        found.setdefault(child.key, child)
    return found


def member_spans(
    buf: bytes, tlv: Tlv, *, max_depth: int = DEFAULT_MAX_DEPTH
) -> dict[int, tuple[int, int, bool]]:
    """child_map without the Tlv objects: key -> (value_start, value_end, constructed).

    For decoders' hot paths, where building a named tuple per field is a measurable share.
    """
    if not tlv.constructed:
        raise BerError(f"{describe_key(tlv.key)} is primitive, not constructed", tlv.start)
    return spans(buf, tlv.value_start, tlv.value_end, max_depth=max_depth)


def spans(
    buf: bytes, start: int, end: int, *, max_depth: int = DEFAULT_MAX_DEPTH
) -> dict[int, tuple[int, int, bool]]:
    """The TLVs filling ``buf[start:end]`` as key -> (value_start, value_end, constructed),
    the first of each key."""
    found: dict[int, tuple[int, int, bool]] = {}
    p = start
    while p < end:
        key, constructed, value_start, length = read_header(buf, p, end)
        if key == 0:
            raise BerError("end-of-contents where a value was expected", p)
        if length >= 0:
            value_end = next_p = value_start + length
            if value_end > end:
                raise BerError(f"value of {length} octets runs past the end", p)
        else:
            next_p = _walk(buf, p, end, 1, max_depth)
            value_end = next_p - 2
        if key not in found:
            found[key] = (value_start, value_end, constructed)
        p = next_p
    return found


def find(buf: bytes, tlv: Tlv, *path: int) -> Tlv | None:
    """The first descendant reached by following ``path`` (tag keys), or None."""
    node: Tlv | None = tlv
    for key in path:
        if node is None or not node.constructed:
            return None
        node = next((c for c in children(buf, node) if c.key == key), None)
    return node


def _walk(buf: bytes, pos: int, limit: int, depth: int, max_depth: int) -> int:
    """Read the TLV at ``pos`` and everything inside it; return where it ends.

    The lean twin of read_tlv + iter_tlvs, for checking whole trees: no objects, one call per
    TLV. Only the constructed bit says there is structure: a primitive value whose contents
    merely look like TLVs is not descended into.
    """
    if depth > max_depth:
        raise BerError(f"nesting deeper than {max_depth}", pos)
    key, constructed, p, length = read_header(buf, pos, limit)
    if key == 0:
        raise BerError("end-of-contents where a value was expected", pos)
    if length >= 0:
        end = p + length
        if end > limit:
            raise BerError(f"value of {length} octets runs past the end ({limit - p} left)", pos)
        if constructed:
            while p < end:
                p = _walk(buf, p, end, depth + 1, max_depth)
        return end
    while True:
        if p + 2 <= limit and buf[p] == 0 and buf[p + 1] == 0:
            return p + 2
        if p >= limit:
            raise BerError("end-of-contents missing", pos)
        p = _walk(buf, p, limit, depth + 1, max_depth)


def validate(buf: bytes, tlv: Tlv, depth: int = 0, *, max_depth: int = DEFAULT_MAX_DEPTH) -> None:
    """Check that every constructed value inside ``tlv`` is exactly filled by its children."""
    if tlv.constructed:
        p = tlv.value_start
        while p < tlv.value_end:
            p = _walk(buf, p, tlv.value_end, depth + 1, max_depth)


def frame(buf: bytes, *, max_depth: int = DEFAULT_MAX_DEPTH) -> Tlv:
    """``buf`` as exactly one fully valid TLV: no byte before, inside or after is left over."""
    end = _walk(buf, 0, len(buf), 0, max_depth)
    if end != len(buf):
        raise BerError(f"{len(buf) - end} octets after the end of the value", end)
    return read_tlv(buf, 0, len(buf), max_depth=max_depth)


def frame_members(
    buf: bytes, *, max_depth: int = DEFAULT_MAX_DEPTH
) -> tuple[Tlv, dict[int, tuple[int, int, bool]]]:
    """frame() and member_spans() in one pass, for records read by the thousand.

    ``buf`` must be exactly one constructed TLV with every nested value consistent; returns it
    and its direct children as key -> (value_start, value_end, constructed), the first of
    each key.
    """
    limit = len(buf)
    key, constructed, value_start, length = read_header(buf, 0, limit)
    if key == 0:
        raise BerError("end-of-contents where a value was expected", 0)
    if not constructed:
        raise BerError(f"{describe_key(key)} is primitive, not constructed", 0)
    indefinite = length < 0
    value_end = limit if indefinite else value_start + length
    if value_end > limit:
        raise BerError(f"value of {length} octets runs past the end", 0)
    found: dict[int, tuple[int, int, bool]] = {}
    p = value_start
    while True:
        if indefinite and p + 2 <= limit and buf[p] == 0 and buf[p + 1] == 0:
            value_end, end = p, p + 2
            break
        if p >= value_end:
            if indefinite:
                raise BerError("end-of-contents missing", 0)
            end = value_end
            break
        member, member_constructed, start, size = read_header(buf, p, value_end)
        if member == 0:
            raise BerError("end-of-contents where a value was expected", p)
        if size >= 0:
            stop = next_p = start + size
            if stop > value_end:
                raise BerError(f"value of {size} octets runs past the end", p)
            if member_constructed:
                q = start
                while q < stop:
                    q = _walk(buf, q, stop, 2, max_depth)
        else:
            next_p = _walk(buf, p, value_end, 1, max_depth)
            stop = next_p - 2
        if member not in found:
            found[member] = (start, stop, member_constructed)
        p = next_p
    if end != limit:
        raise BerError(f"{limit - end} octets after the end of the value", end)
    return Tlv(key, True, 0, value_start, value_end, end, indefinite), found


def decode_uint(data: bytes) -> int:
    """An unsigned big-endian integer (INTEGER contents known to be non-negative)."""
    return int.from_bytes(data, "big")


def decode_int(data: bytes, offset: int = 0) -> int:
    """An INTEGER's contents: two's complement, big-endian, at least one octet."""
    if not data:
        raise BerError("INTEGER with no contents octets", offset)
    return int.from_bytes(data, "big", signed=True)
