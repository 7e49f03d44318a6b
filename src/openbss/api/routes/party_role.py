"""TMF669 Party Role Management: partners (carriers, SPs/CPs, roaming partners, agents, retail
halls, provinces) as party roles."""

from __future__ import annotations

from fastapi import APIRouter

from openbss.api.hub import hub_router
from openbss.api.resource_router import resource_router
from openbss.settlement.partners.service import API, API_PATH, party_roles

MOUNTS: list[tuple[str, APIRouter]] = [
    (API_PATH, resource_router(party_roles)),
    (API_PATH, hub_router(API, [party_roles])),
]
