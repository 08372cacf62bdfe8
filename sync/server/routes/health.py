"""`GET /v1/health`: unauthenticated liveness and identity (so devices can spot captive portals)."""

from __future__ import annotations

from fastapi import APIRouter

from sync.protocol import HealthResponse
from sync.server import __version__

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> HealthResponse:
    return HealthResponse(version=__version__)
