"""RFC 4006 credit-control sessions (being built: the contract is stable, the engine follows)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from openbss.charging.engine.contract import (
    ChargingAnswer,
    ChargingRequest,
    EngineSettings,
    SessionFactory,
)


class SessionEngine:
    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        data_dir: Path,
        clock: Callable[[], datetime] | None,
        settings: EngineSettings,
    ) -> None:
        self.session_factory = session_factory
        self.data_dir = data_dir
        self.clock = clock
        self.settings = settings

    def charge(self, request: ChargingRequest) -> ChargingAnswer:
        raise NotImplementedError

    def supervise(self, now: datetime) -> int:
        raise NotImplementedError
