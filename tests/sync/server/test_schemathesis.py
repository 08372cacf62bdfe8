"""Schemathesis fuzzes every operation of /openapi.json in-process (fixed seed, bounded):
no 5xx, and every response matches the published schema (status, content type, body)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient

from tests.sync.server.helpers import device, tenant


@pytest.fixture
def fuzz_target(hq_http: TestClient, hq_app: FastAPI) -> Iterator[dict[str, str]]:
    tenant(hq_app, "Acme")
    admin_device = device(hq_http, hq_app, "Acme", "admin")
    admin_device.new_case()
    yield admin_device.auth


def test_api_conforms(hq_app: FastAPI, fuzz_target: dict[str, str]) -> None:
    # Driven by hand rather than by schemathesis' pytest plugin, which predates pytest 9.
    api = schemathesis.openapi.from_asgi("/openapi.json", hq_app)
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 15
    calls: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=8,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: schemathesis.Case) -> None:
            calls.append(case.operation.label)
            case.call_and_validate(
                headers={**(case.headers or {}), **fuzz_target},
                checks=[
                    not_a_server_error,
                    status_code_conformance,
                    content_type_conformance,
                    response_schema_conformance,
                ],
            )

        fuzz()
    assert len(set(calls)) == len(operations)
