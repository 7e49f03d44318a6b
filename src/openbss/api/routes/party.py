"""TMF632 Party Management."""

from __future__ import annotations

from fastapi import APIRouter

from openbss.api.hub import hub_router
from openbss.api.resource_router import resource_router
from openbss.party.service import API, API_PATH, individuals, organizations

MOUNTS: list[tuple[str, APIRouter]] = [
    (API_PATH, resource_router(individuals)),
    (API_PATH, resource_router(organizations)),
    (API_PATH, hub_router(API, [individuals, organizations])),
]
