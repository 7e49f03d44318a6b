"""What the network gateways (Diameter Gy, Nchf) need of the online charging engine."""

from __future__ import annotations

from typing import Protocol

from openbss.charging.engine.contract import ChargingAnswer, ChargingRequest


class Charger(Protocol):
    """One synchronous, thread-safe call: the engine (``ChargingEngine``) or a stand-in."""

    def charge(self, request: ChargingRequest) -> ChargingAnswer: ...
