"""API keys a server process has verified recently, so most requests skip the key's row.

Every API request carries a key; reading its row costs a pooled connection and a database
round trip per request, more than a small read endpoint's own work. A key found here was
verified against its row less than ``ttl`` seconds ago, with the same secret (compared as a
SHA-256 digest in constant time), so the answer is the one the row would give — except for
a revocation made since, which therefore takes effect within ``ttl`` seconds in every
process, and at once in the process that revoked it (``revoke_key`` forgets the key).

Only keys that verified are kept (never failures: a client sending random keys cannot fill
the cache), and at most ``max_entries`` of them, oldest first out.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from openbss.kit.security import Principal


@dataclass(frozen=True, slots=True)
class _Entry:
    secret_digest: str
    principal: Principal
    expires: float


class VerifiedKeys:
    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()  # requests run in a thread pool

    def get(self, key_id: str, secret_digest: str) -> Principal | None:
        with self._lock:
            entry = self._entries.get(key_id)
        if entry is None or entry.expires <= time.monotonic():
            return None
        if not hmac.compare_digest(entry.secret_digest, secret_digest):
            return None
        return entry.principal

    def put(self, key_id: str, secret_digest: str, principal: Principal, ttl: float) -> None:
        if ttl <= 0:
            return
        entry = _Entry(secret_digest, principal, time.monotonic() + ttl)
        with self._lock:
            self._entries[key_id] = entry
            self._entries.move_to_end(key_id)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def forget(self, key_id: str) -> None:
        with self._lock:
            self._entries.pop(key_id, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


verified_keys = VerifiedKeys()
