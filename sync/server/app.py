"""Application factory: `create_app(settings)` for tests, `create_app_from_env` for uvicorn."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from sync.protocol import API_PREFIX, PROTOCOL_VERSION
from sync.server import __version__, tsa
from sync.server.blobstore import open_store
from sync.server.config import Settings
from sync.server.console import routes as console
from sync.server.db import migrate, open_database
from sync.server.errors import install_handlers
from sync.server.middleware import HqMiddleware
from sync.server.openapi import install as install_openapi
from sync.server.routes import blobs, cases, devices, health, reference, sync
from sync.server.routes import tsa as tsa_routes

# `fairdesk-hq serve` migrates once before starting workers and sets this to "0".
MIGRATE_ENV = "FAIRDESK_HQ_MIGRATE_ON_START"
# How long a thread may hold the GIL while another waits for it (Python's default: 5 ms). A
# worker applying a push runs Python for a hundred milliseconds and more; at 5 ms the event loop
# reading photo bytes waited that long for each turn. At 1 ms a drain of 300 photos beside
# 5,000 records took 3-5 % less time in three alternating pairs, photos alone the same.
GIL_SWITCH_SECONDS = 0.001


def create_app(settings: Settings | None = None, *, run_migrations: bool = True) -> FastAPI:
    settings = settings or Settings()
    settings.prepare()
    db = open_database(settings.resolved_database_url())
    if run_migrations:
        migrate(db.engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        db.dispose()

    app = FastAPI(
        title="fairdesk-hq",
        version=__version__,
        summary=f"FairDesk HQ sync server, protocol {PROTOCOL_VERSION}",
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.store = open_store(settings)
    app.state.tsa = tsa.load_or_create(settings.resolved_tsa_dir())  # generated at first start
    install_handlers(app)
    install_openapi(app, settings)
    console.mount(app)
    for module in (health, devices, sync, cases, blobs, reference, tsa_routes):
        app.include_router(module.router, prefix=API_PREFIX)
    app.add_middleware(
        HqMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_chunk_bytes=settings.max_chunk_bytes,
    )
    return app


def create_app_from_env() -> FastAPI:
    """The app of one `fairdesk-hq serve` worker process (uvicorn calls this in each)."""
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    return create_app(run_migrations=os.environ.get(MIGRATE_ENV, "1") != "0")
