"""The Diameter Gy server: RFC 6733 peer connections over TCP, RFC 4006 credit control.

One asyncio task per peer connection. A peer must open with CER (anything else closes the
connection); then DWR, DPR and CCR (application 4) are answered. Credit-Control-Requests run
in a thread pool because the engine is synchronous; several may be in flight on one
connection (pipelining), bounded per connection so one peer cannot starve the others. A
message that cannot be framed (length below 20 or above the limit) closes that connection
only; any other bad message gets an answer with the RFC 6733 Result-Code.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from diameter.message import Avp
from diameter.message.constants import (
    AVP_ACCT_APPLICATION_ID,
    AVP_AUTH_APPLICATION_ID,
    AVP_CC_REQUEST_NUMBER,
    AVP_CC_REQUEST_TYPE,
    AVP_FIRMWARE_REVISION,
    AVP_HOST_IP_ADDRESS,
    AVP_ORIGIN_HOST,
    AVP_ORIGIN_REALM,
    AVP_PRODUCT_NAME,
    AVP_RESULT_CODE,
    AVP_SESSION_ID,
    AVP_VENDOR_ID,
    AVP_VENDOR_SPECIFIC_APPLICATION_ID,
)

from openbss.charging.charger import Charger
from openbss.charging.engine.contract import ChargingAnswer, ChargingRequest
from openbss.charging.gy import codec
from openbss.charging.gy.codec import DiameterError, Header
from openbss.kit.clock import now

log = logging.getLogger(__name__)

PRODUCT_NAME = "openbss"
FIRMWARE_REVISION = 1
VENDOR_ID = 0
# A CEA refusing a peer still needs a Host-IP-Address; it names no interface.
UNSPECIFIED_ADDRESS = "0.0.0.0"  # noqa: S104


@dataclass(frozen=True)
class GySettings:
    origin_host: str = "ocs.openbss.local"
    origin_realm: str = "openbss.local"
    # Seconds a new connection may take to send its CER.
    cer_timeout_s: float = 10.0
    # Tw (RFC 3539): after this long without traffic we send a DWR; twice → the peer is gone.
    watchdog_s: float = 30.0
    # Credit-Control-Requests in flight on one connection (the rest wait to be read).
    in_flight_per_peer: int = 256
    engine_threads: int = 8


@dataclass
class Counters:
    connections: int = 0
    requests: int = 0
    errors: int = 0
    closed_malformed: int = 0
    watchdogs_answered: int = 0  # DWRs from peers
    watchdogs_acknowledged: int = 0  # DWAs to our DWRs
    peers_opened: int = 0
    disconnects: int = 0  # DPRs from peers
    by_result: dict[int, int] = field(default_factory=dict)

    def count(self, result: int) -> None:
        self.by_result[result] = self.by_result.get(result, 0) + 1


class GyServer:
    """Serve Gy on ``host:port``; :meth:`start` returns once listening."""

    def __init__(
        self,
        charger: Charger,
        settings: GySettings | None = None,
        *,
        clock: Callable[[], datetime] = now,
    ) -> None:
        self.charger = charger
        self.settings = settings or GySettings()
        self.clock = clock
        self.counters = Counters()
        self._pool = ThreadPoolExecutor(
            max_workers=self.settings.engine_threads, thread_name_prefix="gy-engine"
        )
        self.identity = codec.identity_avps(
            self.settings.origin_host.encode(), self.settings.origin_realm.encode()
        )
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], _Peer] = {}
        self.watchdog_ids = itertools.count(1)

    @property
    def port(self) -> int:
        assert self._server is not None
        sock = self._server.sockets[0]
        return int(sock.getsockname()[1])

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._connection, host, port, reuse_address=True)
        log.info("Diameter Gy listening on %s:%d", host, self.port)

    async def serve_forever(self) -> None:
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for peer in list(self._connections.values()):
            peer.closing = True
            peer.writer.close()  # the reader sees the end of the stream; the peer task ends
        if self._connections:
            await asyncio.wait(list(self._connections), timeout=5)
        if self._server is not None:
            await self._server.wait_closed()
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ---- one peer connection ----------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.counters.connections += 1
        peer = _Peer(self, reader, writer)
        current = asyncio.current_task()
        if current is not None:
            self._connections[current] = peer
        try:
            await peer.run()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except Exception:  # one peer's failure never reaches the others or the server
            log.exception("Diameter peer %s failed", peer.name)
        finally:
            await peer.close()
            if current is not None:
                self._connections.pop(current, None)

    async def charge(self, request: ChargingRequest) -> ChargingAnswer:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self.charger.charge, request)


class _Peer:
    def __init__(
        self, server: GyServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        address = writer.get_extra_info("peername") or ("?", 0)
        self.name = f"{address[0]}:{address[1]}"
        self.open = False
        self.closing = False
        self.slots = asyncio.Semaphore(server.settings.in_flight_per_peer)
        self.tasks: set[asyncio.Task[None]] = set()
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    async def run(self) -> None:
        settings = self.server.settings
        silent_rounds = 0
        while not self.closing:
            timeout = settings.watchdog_s if self.open else settings.cer_timeout_s
            try:
                first = await asyncio.wait_for(self.reader.readexactly(4), timeout)
            except asyncio.IncompleteReadError:
                return
            except TimeoutError:
                if not self.open or silent_rounds >= 1:
                    log.info("Diameter peer %s silent; closing", self.name)
                    return
                silent_rounds += 1
                self._send_watchdog()
                continue
            data = await self._read_rest(first)
            if data is None:
                return
            silent_rounds = 0
            await self._dispatch(data)

    async def _read_rest(self, first: bytes) -> bytes | None:
        """The rest of a message whose first 4 bytes were read. Only the wait for a new
        message is bounded by the watchdog: a message begun is read whole or the connection
        closed, so the stream never loses its framing."""
        length = int.from_bytes(first[1:4], "big")
        if length < codec.HEADER_LENGTH or length > codec.MAX_MESSAGE_LENGTH:
            # The stream cannot be re-synchronised: RFC 6733 leaves only closing it.
            self.server.counters.closed_malformed += 1
            log.info("Diameter peer %s sent a message of length %d; closing", self.name, length)
            return None
        try:
            rest = await asyncio.wait_for(
                self.reader.readexactly(length - 4), self.server.settings.cer_timeout_s
            )
        except TimeoutError:
            self.server.counters.closed_malformed += 1
            log.info("Diameter peer %s left a message unfinished; closing", self.name)
            return None
        return first + rest

    async def _dispatch(self, data: bytes) -> None:
        header = codec.parse_header(data)
        if not header.is_request:
            # A DWA to our watchdog, or an answer we never asked for (dropped).
            if header.command == codec.CMD_DEVICE_WATCHDOG:
                self.server.counters.watchdogs_acknowledged += 1
            return
        try:
            codec.check_frame(header, data)
        except DiameterError as error:
            self._answer_error(header, error, None)
            return
        if not self.open:
            if header.command != codec.CMD_CAPABILITIES_EXCHANGE:
                log.info("Diameter peer %s sent command %d before CER", self.name, header.command)
                self.closing = True
                return
            self._capabilities(header, data)
            return
        command = header.command
        if command == codec.CMD_DEVICE_WATCHDOG:
            self.server.counters.watchdogs_answered += 1
            self._write(codec.answer_bytes(header, self._result(codec.SUCCESS)))
        elif command == codec.CMD_DISCONNECT_PEER:
            self.server.counters.disconnects += 1
            self._write(codec.answer_bytes(header, self._result(codec.SUCCESS)))
            self.closing = True
        elif command == codec.CMD_CAPABILITIES_EXCHANGE:
            self._capabilities(header, data)
        elif header.application != codec.CREDIT_CONTROL_APP:
            failure = DiameterError(
                codec.APPLICATION_UNSUPPORTED, f"application {header.application}"
            )
            self._answer_error(header, failure, None)
        elif command != codec.CMD_CREDIT_CONTROL:
            failure = DiameterError(codec.COMMAND_UNSUPPORTED, f"command {command}")
            self._answer_error(header, failure, None)
        else:
            await self.slots.acquire()
            task = asyncio.create_task(self._credit_control(header, data))
            self.tasks.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        self.slots.release()

    def _result(self, code: int) -> list[Avp]:
        return [Avp.new(AVP_RESULT_CODE, value=code), *self.server.identity]

    def _capabilities(self, header: Header, data: bytes) -> None:
        try:
            avps = codec.decode(data)
            codec.check_mandatory_known(avps)
            for code in (AVP_ORIGIN_HOST, AVP_ORIGIN_REALM, AVP_PRODUCT_NAME):
                codec.required_text(avps, code)
            codec.required_int(avps, AVP_VENDOR_ID)
            if codec.first(avps, AVP_HOST_IP_ADDRESS) is None:
                raise DiameterError(codec.MISSING_AVP, "Host-IP-Address is missing")
            apps = _applications(avps)
        except DiameterError as error:
            self._answer_error(header, error, None, cea=True)
            self.closing = True
            return
        if codec.CREDIT_CONTROL_APP not in apps and codec.RELAY_APP not in apps:
            failure = DiameterError(codec.NO_COMMON_APPLICATION, "credit control (4) only")
            self._answer_error(header, failure, None, cea=True)
            self.closing = True
            return
        host = self.writer.get_extra_info("sockname") or ("127.0.0.1", 0)
        avps = [
            *self._result(codec.SUCCESS),
            Avp.new(AVP_HOST_IP_ADDRESS, value=host[0]),
            Avp.new(AVP_VENDOR_ID, value=VENDOR_ID),
            Avp.new(AVP_PRODUCT_NAME, value=PRODUCT_NAME),
            Avp.new(AVP_AUTH_APPLICATION_ID, value=codec.CREDIT_CONTROL_APP),
            Avp.new(AVP_FIRMWARE_REVISION, value=FIRMWARE_REVISION),
        ]
        self._write(codec.answer_bytes(header, avps))
        self.open = True
        self.server.counters.peers_opened += 1
        peer_host = codec.optional_text(codec.decode(data), AVP_ORIGIN_HOST)
        log.info("Diameter peer %s (%s) open", self.name, peer_host)

    async def _credit_control(self, header: Header, data: bytes) -> None:
        try:
            await self._charge(header, data)
        except Exception:  # an answer is owed whatever happened; the connection lives on
            log.exception("credit control failed for a request of peer %s", self.name)
            failure = DiameterError(codec.UNABLE_TO_COMPLY, "the request could not be processed")
            self._answer_error(header, failure, None)

    async def _charge(self, header: Header, data: bytes) -> None:
        counters = self.server.counters
        counters.requests += 1
        session_id: str | None = None
        request_type = 0
        avps: list[Avp] = []
        try:
            avps = codec.decode(data)
            session_id = _session_id(avps)
            request_type = _int_or_zero(avps, AVP_CC_REQUEST_TYPE)
            codec.check_mandatory_known(avps)
            request = codec.charging_request(avps, origin=self.name, received=self.server.clock())
        except DiameterError as error:
            counters.errors += 1
            counters.count(error.result_code)
            self._answer_error(header, error, session_id, avps_for_cca=avps)
            return
        try:
            answer = await self.server.charge(request)
        except Exception:
            log.exception("charging failed for a session of peer %s", self.name)
            counters.errors += 1
            counters.count(codec.UNABLE_TO_COMPLY)
            failure = DiameterError(codec.UNABLE_TO_COMPLY, "the charging engine failed")
            self._answer_error(header, failure, session_id, avps_for_cca=avps)
            return
        counters.count(int(answer.result))
        avps = codec.cca_avps(answer, request_type, self.server.identity)
        self._write(codec.answer_bytes(header, avps))

    def _answer_error(
        self,
        header: Header,
        error: DiameterError,
        session_id: str | None,
        *,
        cea: bool = False,
        avps_for_cca: list[Avp] | None = None,
    ) -> None:
        avps = codec.error_avps(error, session_id, self.server.identity)
        if header.command == codec.CMD_CREDIT_CONTROL and not error.is_protocol_error:
            # A CCA with a permanent failure still names the request it answers.
            source = avps_for_cca or []
            avps.append(Avp.new(AVP_AUTH_APPLICATION_ID, value=codec.CREDIT_CONTROL_APP))
            avps.append(
                Avp.new(AVP_CC_REQUEST_TYPE, value=_int_or_zero(source, AVP_CC_REQUEST_TYPE))
            )
            avps.append(
                Avp.new(AVP_CC_REQUEST_NUMBER, value=_int_or_zero(source, AVP_CC_REQUEST_NUMBER))
            )
        if cea:
            avps.insert(3, Avp.new(AVP_HOST_IP_ADDRESS, value=UNSPECIFIED_ADDRESS))
            avps.insert(4, Avp.new(AVP_VENDOR_ID, value=VENDOR_ID))
            avps.insert(5, Avp.new(AVP_PRODUCT_NAME, value=PRODUCT_NAME))
        self._write(codec.answer_bytes(header, avps, error=error.is_protocol_error))

    def _send_watchdog(self) -> None:
        ident = next(self.server.watchdog_ids) & 0xFFFFFFFF
        message = codec.request_bytes(
            codec.CMD_DEVICE_WATCHDOG,
            0,
            list(self.server.identity),
            hop_by_hop=ident,
            end_to_end=ident,
        )
        self._write(message)

    def _write(self, data: bytes) -> None:
        if not self.writer.is_closing():
            self.writer.write(data)

    async def close(self) -> None:
        for task in list(self.tasks):
            with contextlib.suppress(Exception):
                await task
        with contextlib.suppress(Exception):
            await self.writer.drain()
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()


def _session_id(avps: list[Avp]) -> str | None:
    avp = codec.first(avps, AVP_SESSION_ID)
    if avp is None:
        return None
    try:
        value = avp.value
    except Exception:
        return None
    return value if isinstance(value, str) else None


def _int_or_zero(avps: list[Avp], code: int) -> int:
    avp = codec.first(avps, code)
    if avp is None:
        return 0
    try:
        value = avp.value
    except Exception:
        return 0
    return value if isinstance(value, int) and 0 <= value < 2**32 else 0


def _applications(avps: list[Avp]) -> set[int]:
    apps = set()
    for avp in avps:
        if avp.code in (AVP_AUTH_APPLICATION_ID, AVP_ACCT_APPLICATION_ID):
            apps.add(codec.required_int([avp], avp.code))
        elif avp.code == AVP_VENDOR_SPECIFIC_APPLICATION_ID:
            for member in codec.group(avp):
                if member.code in (AVP_AUTH_APPLICATION_ID, AVP_ACCT_APPLICATION_ID):
                    apps.add(codec.required_int([member], member.code))
    return apps
