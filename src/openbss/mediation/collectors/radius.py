"""RADIUS accounting collector (RFC 2866): Accounting-Requests to durable spool files.

A NAS (BRAS, BNG) sends Accounting-Request packets over UDP and retransmits each one until it
gets an Accounting-Response; the response is therefore a promise that the usage is safe. This
server makes that promise only when it can keep it: every accepted packet is appended to a
spool file, flushed and fsynced, and only then answered. Nothing is held only in memory — if
the process dies, a packet is either on disk or was never answered and the NAS sends it again.

Spool files are JSON lines, one per accepted packet::

    {"received": "2025-01-02T03:04:05.123456Z", "client": "192.0.2.1", "client_port": 40001,
     "code": 4, "id": 17, "authenticator": "<hex>", "packet": "<hex of the whole packet>",
     "attributes": {"User-Name": ["alice"], "Acct-Status-Type": [2], ...}}

Integer and date attributes are numbers (the wire values, not the dictionary's names),
addresses strings, text strings; anything else — octets, text that is not UTF-8, attributes
the dictionary does not know (named ``Attr-<code>``) — is ``{"hex": "..."}``. The whole packet
is kept in hex too, so a spool file can always be decoded again with a richer dictionary.

Files are written as ``radius-<UTC yyyymmddThhmmssZ>-<seq>.jsonl.part`` and closed by an atomic
rename to ``.jsonl`` every ``rotate_seconds`` / ``rotate_packets`` and on shutdown; mediation
ingests only closed files (decoders/radius_acct.py). The sequence number increases by one per
file and survives restarts (``.radius-sequence`` in the spool directory) so that a missing file
shows as a gap. A ``.part`` file left by a crash holds packets already answered; it is closed
when the next server starts on the directory. One server per spool directory (a lock file
enforces it).

Retransmissions are spooled again and answered again: deduplication is the decoder's job,
which keeps the server simple and never risks dropping a packet that only looked like a
duplicate. Logs carry counts and client addresses, never secrets or user names.
"""

from __future__ import annotations

import fcntl
import ipaddress
import json
import logging
import os
import re
import select
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from pyrad import packet as pyrad_packet
from pyrad import tools as pyrad_tools
from pyrad.dictionary import Dictionary

logger = logging.getLogger(__name__)

DICTIONARY_PATH = Path(__file__).with_name("radius.dictionary")
SPOOL_PREFIX = "radius"
SPOOL_NAME = re.compile(r"^radius-(\d{8}T\d{6}Z)-(\d+)\.jsonl(\.part)?$")
_SEQUENCE_FILE = ".radius-sequence"
_LOCK_FILE = ".radius.lock"
_SPOOL_MODE = 0o640

_MAX_DATAGRAM = 4096  # RFC 2865 §3: a RADIUS packet is at most 4096 octets
_BATCH = 64  # packets read per wake-up; written with one fsync, then all answered
_IDLE_WAKE_S = 1.0  # longest sleep while idle, to notice rotate_seconds

_NUMERIC_TYPES = frozenset({"integer", "date", "short", "byte", "signed", "integer64"})
_ADDRESS_TYPES = frozenset({"ipaddr", "ipv6addr"})

_DROP_REASONS = ("unknown_client", "malformed", "unsupported_code", "bad_authenticator")
_STAT_KEYS = (
    "received",
    "spooled",
    "answered",
    *(f"dropped_{reason}" for reason in _DROP_REASONS),
    "spool_errors",
    "reply_errors",
)

JsonValue = int | str | dict[str, str]


class SpoolError(RuntimeError):
    """The spool directory cannot be used (locked by another server, not writable)."""


def _fsync_dir(path: Path) -> None:
    """Make a created or renamed directory entry durable, not just the file's contents."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class JsonlSpool:
    """Append-only spool of JSON lines with atomic rotation; used only by the serving thread."""

    def __init__(
        self, directory: Path, *, prefix: str, rotate_seconds: float, rotate_packets: int
    ) -> None:
        if rotate_seconds <= 0 or rotate_packets <= 0:
            raise ValueError("rotate_seconds and rotate_packets must be positive")
        self.directory = directory
        self.prefix = prefix
        self.rotate_seconds = rotate_seconds
        self.rotate_packets = rotate_packets
        directory.mkdir(parents=True, exist_ok=True)
        self._lock_fd = os.open(directory / _LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(self._lock_fd)
            raise SpoolError(f"spool directory {directory} is used by another server") from exc
        self._file: TextIO | None = None
        self._path: Path | None = None
        self._opened_at = 0.0
        self._lines = 0
        self._last_sequence = self._recover()
        self.closed_files = 0

    def _recover(self) -> int:
        """Close ``.part`` files a crash left behind (their packets were answered) and return
        the highest sequence number used so far."""
        last = 0
        state = self.directory / _SEQUENCE_FILE
        if state.exists():
            text = state.read_text(encoding="ascii").strip()
            last = int(text) if text.isdigit() else 0
        recovered = 0
        for entry in sorted(self.directory.iterdir()):
            match = SPOOL_NAME.match(entry.name)
            if match is None:
                continue
            last = max(last, int(match.group(2)))
            if match.group(3):
                entry.rename(entry.with_name(entry.name.removesuffix(".part")))
                recovered += 1
        if recovered:
            _fsync_dir(self.directory)
            logger.warning("closed %d spool file(s) left open by an earlier run", recovered)
        return last

    @property
    def current_path(self) -> Path | None:
        return self._path

    def _open(self) -> TextIO:
        sequence = self._last_sequence + 1
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = self.directory / f"{self.prefix}-{stamp}-{sequence:06d}.jsonl.part"
        # Owner and group only: the lines hold user names and station ids (personal data).
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _SPOOL_MODE)
        handle = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        # From here the file exists: it is the current file, closed (even empty) on any error,
        # so that its sequence number is neither reused nor missing.
        self._last_sequence = sequence
        self._file, self._path = handle, path
        self._opened_at = time.monotonic()
        self._lines = 0
        # The last sequence is also kept apart, in case the pipeline moves closed files away.
        state = self.directory / _SEQUENCE_FILE
        tmp = state.with_name(state.name + ".tmp")
        with tmp.open("w", encoding="ascii") as state_handle:
            state_handle.write(f"{sequence}\n")
            state_handle.flush()
            os.fsync(state_handle.fileno())
        tmp.replace(state)
        _fsync_dir(self.directory)
        return handle

    def append(self, lines: list[str]) -> None:
        """Write lines durably (flush + fsync) — the caller answers only after this returns.

        On an I/O error the current file is abandoned (closed as it is, possibly ending with a
        torn line that the decoder reports) so later packets never share a line with it."""
        if not lines:
            return
        try:
            handle = self._file or self._open()
            handle.write("".join(line + "\n" for line in lines))
            handle.flush()
            os.fsync(handle.fileno())
        except OSError:
            self.close()
            raise
        self._lines += len(lines)
        if self._lines >= self.rotate_packets:
            self.close()

    def seconds_to_rotation(self) -> float | None:
        if self._file is None:
            return None
        return max(0.0, self._opened_at + self.rotate_seconds - time.monotonic())

    def rotate_if_due(self) -> None:
        remaining = self.seconds_to_rotation()
        if remaining is not None and remaining <= 0:
            self.close()

    def close(self) -> None:
        """Close the current file: rename ``.part`` → ``.jsonl`` (atomic), fsync the directory."""
        handle, path = self._file, self._path
        self._file = self._path = None
        if handle is None or path is None:
            return
        try:
            handle.close()
        except OSError:
            logger.exception("closing spool file %s failed", path.name)
        closed = path.with_name(path.name.removesuffix(".part"))
        try:
            path.rename(closed)
        except OSError:
            # The packets are on disk; the next server start closes the file.
            logger.exception("could not close spool file %s", path.name)
            return
        self.closed_files += 1
        logger.info("closed spool file %s with %d packet(s)", closed.name, self._lines)
        try:
            _fsync_dir(self.directory)
        except OSError:
            logger.exception("could not sync the spool directory")

    def release(self) -> None:
        """Close the current file and give up the directory lock."""
        try:
            self.close()
        finally:
            os.close(self._lock_fd)


@dataclass(frozen=True)
class _Accepted:
    line: str
    reply: bytes
    address: tuple[Any, ...]


class RadiusAccountingServer:
    """RADIUS accounting server: verifies, spools durably, then answers.

    ``clients`` maps a client (NAS) IP address to its shared secret; when it is given, packets
    from any other address are dropped. Without it every client is accepted with ``secret``.
    Dropped packets — unknown client, bad Request Authenticator, not an Accounting-Request,
    undecodable — are counted in :attr:`stats` and never answered.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        secret: bytes,
        spool_dir: Path,
        rotate_seconds: float = 60,
        rotate_packets: int = 10000,
        clients: Mapping[str, bytes] | None = None,
    ) -> None:
        self._secret = secret
        self._clients = (
            {_canonical_ip(address): key for address, key in clients.items()}
            if clients is not None
            else None
        )
        self._dictionary: Any = Dictionary(str(DICTIONARY_PATH))
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            self._sock.bind((host, port))
            self._sock.setblocking(False)
            self._spool = JsonlSpool(
                spool_dir,
                prefix=SPOOL_PREFIX,
                rotate_seconds=rotate_seconds,
                rotate_packets=rotate_packets,
            )
        except BaseException:
            self._sock.close()
            raise
        self._wake_r, self._wake_w = socket.socketpair()
        self._stopping = threading.Event()
        self._state_lock = threading.Lock()
        self._thread: threading.Thread | None = None  # the thread start() created
        self._serving: threading.Thread | None = None  # the thread inside serve_forever()
        self._finished = threading.Event()
        self._shut_down = False
        # Fixed keys: another thread may copy the dict while the serving thread counts.
        self._stats = dict.fromkeys(_STAT_KEYS, 0)
        self._warned: set[tuple[str, str]] = set()

    @property
    def bound_port(self) -> int:
        port: int = self._sock.getsockname()[1]
        return port

    @property
    def stats(self) -> dict[str, int]:
        """Counts so far: received, spooled, answered, dropped_* , spool_errors, files_closed."""
        snapshot = dict(self._stats)
        snapshot["files_closed"] = self._spool.closed_files
        return snapshot

    # -- running ---------------------------------------------------------------------------

    def start(self) -> None:
        """Serve in a background thread until :meth:`stop`."""
        with self._state_lock:
            if self._thread is not None or self._serving is not None or self._shut_down:
                raise RuntimeError("server already started or stopped")
            self._thread = threading.Thread(
                target=self.serve_forever, name="radius-accounting", daemon=True
            )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, close (rotate) the current spool file and release the port.

        Called from the serving thread itself (a signal handler while :meth:`serve_forever`
        runs in the main thread) it only asks the loop to end; the loop then shuts down."""
        self._stopping.set()
        with self._state_lock:
            serving = self._serving or self._thread
            if not self._shut_down:
                self._wake_w.send(b"\0")
        if serving is None:
            self._shutdown()
        elif serving is not threading.current_thread():
            self._finished.wait()

    def serve_forever(self) -> None:
        """Serve in the calling thread until :meth:`stop` is called."""
        with self._state_lock:
            if self._serving is not None or self._shut_down:
                raise RuntimeError("server already serving or stopped")
            self._serving = threading.current_thread()
        logger.info("RADIUS accounting listening on port %d", self.bound_port)
        try:
            while not self._stopping.is_set():
                remaining = self._spool.seconds_to_rotation()
                timeout = _IDLE_WAKE_S if remaining is None else min(remaining, _IDLE_WAKE_S)
                readable, _, _ = select.select([self._sock, self._wake_r], [], [], timeout)
                if self._stopping.is_set():
                    break
                if self._sock in readable:
                    self._serve_batch()
                self._spool.rotate_if_due()
        finally:
            try:
                self._shutdown()
            finally:
                self._finished.set()

    def _shutdown(self) -> None:
        with self._state_lock:
            if self._shut_down:
                return
            self._shut_down = True
            try:
                self._spool.release()
            finally:
                self._sock.close()
                self._wake_r.close()
                self._wake_w.close()
        logger.info("RADIUS accounting stopped: %s", _format_counts(self.stats))

    # -- packets ---------------------------------------------------------------------------

    def _serve_batch(self) -> None:
        accepted: list[_Accepted] = []
        for _ in range(_BATCH):
            try:
                data, address = self._sock.recvfrom(_MAX_DATAGRAM)
            except BlockingIOError:
                break
            except OSError:
                # e.g. ECONNREFUSED from an earlier reply's ICMP error: the socket is fine, and
                # what was read so far is still spooled and answered below.
                logger.warning("receiving on the RADIUS socket failed", exc_info=True)
                break
            self._stats["received"] += 1
            result = self._accept(data, address, datetime.now(UTC))
            if result is not None:
                accepted.append(result)
        if not accepted:
            return
        try:
            self._spool.append([item.line for item in accepted])
        except OSError:
            # Not answered: the NAS retransmits, and the packets are spooled then.
            self._stats["spool_errors"] += len(accepted)
            logger.exception("spooling %d packet(s) failed; not answered", len(accepted))
            return
        self._stats["spooled"] += len(accepted)
        for item in accepted:
            try:
                self._sock.sendto(item.reply, item.address)
                self._stats["answered"] += 1
            except OSError:
                self._stats["reply_errors"] += 1  # spooled; the NAS retransmits, we answer then

    def _accept(
        self, data: bytes, address: tuple[Any, ...], received: datetime
    ) -> _Accepted | None:
        client = _canonical_ip(str(address[0]))
        secret = self._secret_for(client)
        if secret is None:
            self._drop("unknown_client", client)
            return None
        try:
            pkt: Any = pyrad_packet.AcctPacket(packet=data, dict=self._dictionary, secret=secret)
        except Exception:  # pyrad raises several kinds for garbage; the packet is untrusted
            self._drop("malformed", client)
            return None
        if pkt.code != pyrad_packet.AccountingRequest:
            self._drop("unsupported_code", client)
            return None
        if not pkt.VerifyAcctRequest():
            self._drop("bad_authenticator", client)
            return None
        try:
            attributes = _attributes(pkt, self._dictionary)
            reply: bytes = pkt.CreateReply().ReplyPacket()
        except Exception:
            self._drop("malformed", client)
            return None
        record = {
            "received": received.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "client": client,
            "client_port": int(address[1]),
            "code": int(pkt.code),
            "id": int(pkt.id),
            "authenticator": bytes(pkt.authenticator).hex(),
            "packet": bytes(pkt.raw_packet).hex(),  # without padding (RFC 2865 §3)
            "attributes": attributes,
        }
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        return _Accepted(line=line, reply=reply, address=address)

    def _secret_for(self, client: str) -> bytes | None:
        if self._clients is None:
            return self._secret
        return self._clients.get(client)

    def _drop(self, reason: str, client: str) -> None:
        self._stats[f"dropped_{reason}"] += 1
        if (reason, client) not in self._warned:  # once per client and reason: no log floods
            self._warned.add((reason, client))
            logger.warning("dropping RADIUS packets from %s: %s", client, reason)
        else:
            logger.debug("dropped RADIUS packet from %s: %s", client, reason)


def _canonical_ip(address: str) -> str:
    """The address as the clients mapping names it (an IPv4-mapped IPv6 address as IPv4)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


def _attributes(pkt: Any, dictionary: Any) -> dict[str, list[JsonValue]]:
    """Every attribute of a decoded pyrad packet as JSON values, in packet order."""
    result: dict[str, list[JsonValue]] = {}
    for key, values in dict.items(pkt):  # raw view: codes → encoded values, as received
        name, datatype = _attribute_name(key, dictionary)
        if isinstance(values, dict):  # a TLV: keep its sub-attributes' octets
            values = [value for sub in values.values() for value in sub]
        result.setdefault(name, []).extend(_json_value(datatype, value) for value in values)
    return result


def _attribute_name(key: Any, dictionary: Any) -> tuple[str, str | None]:
    if dictionary.attrindex.HasBackward(key):
        name = str(dictionary.attrindex.GetBackward(key))
        return name, str(dictionary.attributes[name].type)
    if isinstance(key, tuple):
        return f"Vendor-{key[0]}-Attr-{key[1]}", None
    return f"Attr-{key}", None


def _json_value(datatype: str | None, value: bytes) -> JsonValue:
    try:
        if datatype in _NUMERIC_TYPES:
            return int(pyrad_tools.DecodeAttr(datatype, value))
        if datatype in _ADDRESS_TYPES:
            return str(pyrad_tools.DecodeAttr(datatype, value))
        if datatype == "string":
            return value.decode("utf-8")
    except Exception:  # a value of the wrong length or encoding: keep its octets
        logger.debug("undecodable %s value kept as hex", datatype)
    return {"hex": value.hex()}


def _format_counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(counts.items())) or "nothing"
