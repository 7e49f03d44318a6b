"""The interface between service orders and network elements, and the adapter registry.

An adapter carries one service order to one network element and reports how it went: it
returns the element's short answer on success, raises :class:`TransientProvisioningError`
when trying again later may help (element busy, down, too slow) and
:class:`PermanentProvisioningError` when the element refused the request.

Adapters must be idempotent: an order whose worker died after the element had already
applied it is sent again, and activating a service that is already active must succeed.

Every adapter is a plugin: a package declares a factory in the entry-point group
``openbss.provisioning_adapters``::

    [project.entry-points."openbss.provisioning_adapters"]
    huawei-hlr = "acme_hlr.adapter:make_adapter"

and a network element names it in its ``adapter`` column. openbss itself registers
``simulated`` this way (``openbss.simulators.network_element``), so provisioning finds the
simulated element by name like any other and never imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from openbss.kit.errors import Unprocessable
from openbss.provisioning.calculations import Network, ServiceRequestItem

ENTRY_POINT_GROUP = "openbss.provisioning_adapters"
SIMULATED = "simulated"
# What a simulated element's ``settings`` hold. Provisioning creates such elements on first
# use and lets an operator change their behaviour, so it owns this vocabulary; the
# ``simulated`` adapter reads it.
SIMULATED_MODES = ("accept", "fail", "reject", "timeout")
SIMULATED_DEFAULT_SETTINGS: dict[str, Any] = {"mode": "accept", "delay_ms": 0, "fail_next": 0}


class TransientProvisioningError(Exception):
    """The element could not answer now (busy, down, timed out): the order is retried."""


class ProvisioningTimeout(TransientProvisioningError):
    """The element did not answer within the timeout."""


class PermanentProvisioningError(Exception):
    """The element refused the request; retrying cannot help, the order fails."""


class UnknownAdapterError(Unprocessable):
    code = "UNKNOWN_ADAPTER"
    reason = "Unknown provisioning adapter"


@dataclass(frozen=True, slots=True)
class NetworkElementConfig:
    """What an adapter factory knows about the element it talks to."""

    code: str
    province: str
    network: Network
    adapter: str
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ProvisioningRequest:
    service_order_id: str
    network: Network
    element_code: str
    items: list[ServiceRequestItem]


class ProvisioningAdapter(Protocol):
    def execute(self, request: ProvisioningRequest, *, timeout: float) -> str:
        """Apply ``request`` on the element within ``timeout`` seconds; return its answer."""
        ...


AdapterFactory = Callable[[NetworkElementConfig, sessionmaker[Session]], ProvisioningAdapter]


def available_adapters() -> list[str]:
    """Every adapter name that :func:`load_adapter` accepts."""
    return sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)})


# Factories found, per process: the installed plugins do not change while it runs, and
# looking through every installed distribution's entry points reads their metadata files
# (a few milliseconds of CPU per service order otherwise). Keyed by the lookup function too,
# so a registry swapped in (tests add plugins this way) is searched afresh.
_factories: dict[tuple[Callable[..., Any], str], AdapterFactory] = {}


def load_adapter(name: str) -> AdapterFactory:
    """The factory of the installed adapter called ``name``."""
    key = (entry_points, name)
    found = _factories.get(key)
    if found is None:
        found = _factories[key] = _find_adapter(name)
    return found


def _find_adapter(name: str) -> AdapterFactory:
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name == name:
            loaded = entry.load()
            if not callable(loaded):
                raise UnknownAdapterError(
                    f"provisioning adapter {name!r} ({entry.value}) is not a factory"
                )
            factory: AdapterFactory = loaded
            return factory
    raise UnknownAdapterError(
        f"no provisioning adapter named {name!r}; available: {', '.join(available_adapters())} "
        f"(plugins register in the entry-point group {ENTRY_POINT_GROUP!r})"
    )
