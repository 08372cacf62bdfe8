"""Small helpers shared by the in-process server tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select
from starlette.testclient import TestClient

from sync.server import admin
from sync.server.db import Database
from tests.sync.hq_harness import GIB, DeviceClient


def database(app: FastAPI) -> Database:
    db: Database = app.state.db
    return db


def tenant(app: FastAPI, name: str, kind: str = "company", quota_bytes: int = 10 * GIB) -> str:
    with database(app).writing() as session:
        return admin.add_tenant(session, name, kind, quota_bytes).id


def device(
    http: TestClient, app: FastAPI, tenant_name: str, role: str | None = None
) -> DeviceClient:
    with database(app).writing() as session:
        code = admin.make_enroll_code(session, tenant_name, role, timedelta(hours=1))
    return DeviceClient.enroll(http, code)


def count(app: FastAPI, model: Any, *where: Any) -> int:
    with database(app).reading() as session:
        return int(session.scalars(select(func.count()).select_from(model).where(*where)).one())
