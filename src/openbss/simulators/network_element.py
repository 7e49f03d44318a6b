"""A simulated network element: provisioning without a network, for demos and tests.

It keeps its subscribers in ``provisioning_simulated_service`` and behaves as its element's
``settings`` say, read from the database at every call so that an operator (``openbss oss ne
set``) or a test can change its behaviour while the server runs:

- ``mode``: ``accept`` applies the request; ``fail`` answers "element unavailable"
  (transient); ``reject`` refuses it (permanent); ``timeout`` never answers, so the call gives
  up after the timeout (transient);
- ``delay_ms``: latency before every answer; more than the timeout is a timeout too;
- ``fail_next``: the next N calls fail transiently, then the element recovers. Each call
  consumes one with a compare-and-set, so concurrent workers never consume the same one.

Applying is idempotent, as the adapter contract requires: activating an active service,
deactivating an absent one or resuming an active one succeeds and changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.provisioning import repository as repo
from openbss.provisioning.adapters import (
    SIMULATED_DEFAULT_SETTINGS,
    NetworkElementConfig,
    PermanentProvisioningError,
    ProvisioningRequest,
    ProvisioningTimeout,
    TransientProvisioningError,
)
from openbss.provisioning.calculations import ServiceAction, ServiceRequestItem
from openbss.provisioning.models import SimulatedService

ACTIVE = "active"
SUSPENDED = "suspended"
# Compare-and-set retries when several workers consume ``fail_next`` at the same moment.
_CAS_ROUNDS = 20


class SimulatedAdapter:
    def __init__(self, config: NetworkElementConfig, factory: sessionmaker[Session]) -> None:
        self.code = config.code
        self._factory = factory

    def execute(self, request: ProvisioningRequest, *, timeout: float) -> str:
        settings, failing = self._take_call()
        mode = str(settings.get("mode", "accept"))
        delay = int(settings.get("delay_ms", 0)) / 1000
        if mode == "timeout" or delay > timeout:
            time.sleep(timeout)
            raise ProvisioningTimeout(f"element {self.code} did not answer within {timeout:g} s")
        if delay > 0:
            time.sleep(delay)
        if failing or mode == "fail":
            raise TransientProvisioningError(f"element {self.code} unavailable")
        if mode == "reject":
            raise PermanentProvisioningError(f"element {self.code} rejected the request")
        if mode != "accept":
            raise PermanentProvisioningError(f"element {self.code} is in unknown mode {mode!r}")
        with unit_of_work(self._factory) as session:
            for item in request.items:
                self._apply(session, item)
        return f"{self.code}: {len(request.items)} item(s) applied"

    def _take_call(self) -> tuple[Mapping[str, Any], bool]:
        """The element's settings for this call, and whether it is one of ``fail_next``."""
        for _ in range(_CAS_ROUNDS):
            with unit_of_work(self._factory) as session:
                row = repo.fresh_element(session, self.code)
                if row is None:
                    raise PermanentProvisioningError(f"element {self.code} is not configured")
                settings = {**SIMULATED_DEFAULT_SETTINGS, **row.settings}
                remaining = int(settings.get("fail_next", 0))
                if remaining <= 0:
                    return settings, False
                consumed = {**settings, "fail_next": remaining - 1}
                if repo.replace_settings(session, self.code, row.revision, consumed):
                    return settings, True
        raise TransientProvisioningError(f"element {self.code} is busy (settings contended)")

    def _apply(self, session: Session, item: ServiceRequestItem) -> None:
        row = repo.simulated_service(session, self.code, item.service_id)
        if item.action is ServiceAction.ACTIVATE:
            if row is None:
                session.add(
                    SimulatedService(
                        element_code=self.code,
                        service_id=item.service_id,
                        state=ACTIVE,
                        characteristics=dict(item.characteristics),
                    )
                )
                session.flush()  # a later item of the same request must find it
                return
            row.state = ACTIVE
            row.characteristics = {**row.characteristics, **item.characteristics}
            return
        if item.action is ServiceAction.DEACTIVATE:
            if row is not None:
                session.delete(row)
            return
        if row is None:
            # Rolls back the whole request: an element applies a request entirely or not at all.
            raise PermanentProvisioningError(
                f"service {item.service_id} is not provisioned on element {self.code}"
            )
        if item.action is ServiceAction.SUSPEND:
            # 单停 bars outgoing calls only, 双停 (or a suspension that says nothing) all.
            row.state = SUSPENDED
            barring = str(item.characteristics.get("barring") or "full")
            row.characteristics = {**row.characteristics, "barring": barring}
        elif item.action is ServiceAction.RESUME:
            row.state = ACTIVE
            row.characteristics = {k: v for k, v in row.characteristics.items() if k != "barring"}
        else:  # modify
            row.characteristics = {**row.characteristics, **item.characteristics}
