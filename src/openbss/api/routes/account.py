"""TMF666 Account Management."""

from __future__ import annotations

from fastapi import APIRouter

from openbss.account.service import API, API_PATH, SERVICES
from openbss.api.hub import hub_router
from openbss.api.resource_router import resource_router

MOUNTS: list[tuple[str, APIRouter]] = [
    *((API_PATH, resource_router(service)) for service in SERVICES),
    (API_PATH, hub_router(API, SERVICES)),
]
