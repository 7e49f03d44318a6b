from __future__ import annotations

from fastapi import APIRouter

MOUNTS: list[tuple[str, APIRouter]] = []
