"""`/openapi.json` says what the server accepts and answers: one test per schemathesis finding
that was fixed (sync/server/README.md, "Known schemathesis findings"), each against a real app on
a SQLite file. The declarations do not depend on the database; test_schemathesis.py fuzzes the
whole contract on PostgreSQL too."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from sync.protocol import MAX_WIRE_INT, chunk_checksum
from sync.server.app import create_app
from sync.server.config import Settings
from tests.sync.hq_harness import DeviceClient
from tests.sync.server.helpers import device, tenant

ZERO_DIGEST = "sha256:" + "0" * 64


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    # Limits off their defaults, to see that the published schema follows the settings.
    app = create_app(
        Settings(data_dir=tmp_path / "hq", max_upload_bytes=100_000, max_pull_limit=50)
    )
    yield app
    app.state.db.dispose()


@pytest.fixture
def http(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client


@pytest.fixture
def admin(http: TestClient, app: FastAPI) -> DeviceClient:
    tenant(app, "Acme")
    return device(http, app, "Acme", "admin")


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_integer_bounds_are_exact_in_any_json(http: TestClient, admin: DeviceClient) -> None:
    """2**62 was published, which a double reads as 4611686018427388000: tools then sent
    2**62 + 95 as valid and got 422. Every bound is now at most 2**53 - 1."""
    schema = http.get("/openapi.json").json()
    maxima = [n["maximum"] for n in _walk(schema) if isinstance(n.get("maximum"), int)]
    assert maxima and all(m <= MAX_WIRE_INT and int(float(m)) == m for m in maxima)
    assert MAX_WIRE_INT in maxima
    at_bound = admin.request("GET", "/v1/reference", params={"since": MAX_WIRE_INT})
    assert at_bound.status_code == 200, at_bound.text
    beyond = admin.request("GET", "/v1/reference", params={"since": MAX_WIRE_INT + 1})
    assert beyond.status_code == 422
    mutation = admin.mutation("case", str(uuid.uuid4()), op="update", base_version=MAX_WIRE_INT)
    assert admin.push_raw([mutation]).status_code == 200


def test_405_allow_names_every_method_at_the_address(http: TestClient) -> None:
    """`/v1/blobs/{digest}` has HEAD, GET and (issue 16) PUT routes; Starlette named only the
    first."""
    for path, allowed in (
        (f"/v1/blobs/{ZERO_DIGEST}", "GET, HEAD, PUT"),
        ("/v1/uploads/some-upload", "HEAD, PATCH"),
        ("/v1/health", "GET"),
    ):
        response = http.request("OPTIONS", path)
        assert response.status_code == 405, path
        assert response.headers["allow"] == allowed, path
        assert response.json()["error"] == "method_not_allowed"


def test_head_answers_are_declared_without_a_body(
    http: TestClient, admin: DeviceClient, app: FastAPI
) -> None:
    """A HEAD answer has no body, so no content type; its headers are what it says."""
    schema = http.get("/openapi.json").json()
    heads = [(path, op) for method, path, op in _operations(schema) if method == "HEAD"]
    assert len(heads) == 2
    for path, operation in heads:
        ok = operation["responses"]["200"]
        assert "content" not in ok, path
        assert "Upload-Length" in ok["headers"], path
    upload = admin.start_upload(b"x" * 10).json()
    response = admin.request("HEAD", f"/v1/uploads/{upload['upload_id']}")
    assert response.status_code == 200
    assert response.headers["upload-offset"] == "0" and response.headers["upload-length"] == "10"


def test_every_route_documents_its_422_shapes(http: TestClient) -> None:
    """A NUL in the address is refused with ErrorBody before any route runs (so on routes that
    declared no 422 at all); handlers raise ErrorBody 422s beside FastAPI's validation 422."""
    schema = http.get("/openapi.json").json()
    for method, path, operation in _operations(schema):
        content = operation["responses"]["422"]["content"]["application/json"]["schema"]
        shapes = content.get("anyOf", [content])
        assert {"$ref": "#/components/schemas/ErrorBody"} in shapes, (method, path)
        if operation.get("parameters") or operation.get("requestBody"):
            assert {"$ref": "#/components/schemas/HTTPValidationError"} in shapes, (method, path)
    refused = http.get("/v1/health?x=%00")
    assert refused.status_code == 422 and refused.json()["error"] == "invalid_text"


def test_an_undecodable_json_body_is_a_documented_400(
    http: TestClient, admin: DeviceClient
) -> None:
    schema = http.get("/openapi.json").json()
    for method, path, operation in _operations(schema):
        if "application/json" in operation.get("requestBody", {}).get("content", {}):
            assert "400" in operation["responses"], (method, path)
    response = admin.request(
        "POST",
        "/v1/sync/push",
        content=b'{"device_id": "\x80"}',  # not UTF-8
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400 and response.json()["error"] == "bad_request"


def test_raw_bodies_are_declared(http: TestClient) -> None:
    """The TSA query and the upload chunk are read as streams, which FastAPI cannot see: the
    schema said "no body", and a schema-driven client got 415 from the TSA."""
    paths = http.get("/openapi.json").json()["paths"]
    tsa = paths["/v1/tsa"]["post"]["requestBody"]
    assert tsa["required"] is True and list(tsa["content"]) == ["application/timestamp-query"]
    chunk = paths["/v1/uploads/{upload_id}"]["patch"]["requestBody"]
    assert list(chunk["content"]) == ["application/offset+octet-stream"]
    patch = paths["/v1/uploads/{upload_id}"]["patch"]["responses"]
    assert "Upload-Offset" in patch["204"]["headers"]
    assert patch["460"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")


def test_optional_parameters_are_not_nullable(http: TestClient, admin: DeviceClient) -> None:
    """HTTP has no null, only absence: `anyOf [X, null]` made a client send the text `null`."""
    schema = http.get("/openapi.json").json()
    for method, path, operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            assert {"type": "null"} not in list(_walk(parameter["schema"])), (method, path)
    upload = admin.start_upload(b"y" * 10).json()
    data = b"y" * 10
    null_header = admin.request(
        "PATCH",
        f"/v1/uploads/{upload['upload_id']}",
        content=data,
        headers={
            "Upload-Offset": "0",
            "Upload-Checksum": chunk_checksum(data),
            "Upload-Complete": "null",
        },
    )
    assert null_header.status_code == 422  # not a digest, as the schema now says


def test_configured_limits_are_published(http: TestClient, admin: DeviceClient) -> None:
    """The schema allowed any Upload-Length up to 2**62 while the server refused more than its
    configured maximum with 413; likewise pull's `limit`."""
    paths = http.get("/openapi.json").json()["paths"]

    def parameter(path: str, method: str, name: str) -> dict[str, Any]:
        [found] = [p for p in paths[path][method]["parameters"] if p["name"] == name]
        schema: dict[str, Any] = found["schema"]
        return schema

    assert parameter("/v1/uploads", "post", "upload-length")["maximum"] == 100_000
    assert parameter("/v1/sync/pull", "get", "limit")["maximum"] == 50
    headers = {"Idempotency-Key": ZERO_DIGEST}
    at_limit = admin.request("POST", "/v1/uploads", headers={**headers, "Upload-Length": "100000"})
    assert at_limit.status_code == 201
    over = admin.request("POST", "/v1/uploads", headers={**headers, "Upload-Length": "100001"})
    assert over.status_code == 413 and over.json()["error"] == "upload_too_large"
    assert admin.request("GET", "/v1/sync/pull", params={"limit": 50}).status_code == 200


def test_text_fields_publish_the_nul_rule(http: TestClient) -> None:
    """Names, codes and ids are refused with 422 when they hold NUL: the schema says so."""
    components = http.get("/openapi.json").json()["components"]["schemas"]
    for model, field in (
        ("EnrollRequest", "enroll_code"),
        ("EnrollRequest", "device_name"),
        ("TokenRequest", "refresh_token"),
        ("PushRequest", "device_id"),
        ("EscalateRequest", "guidance_centre"),
    ):
        assert components[model]["properties"][field]["pattern"] == "^[^\\u0000]*$", model
    refused = http.post("/v1/devices/enroll", json={"enroll_code": "a\x00b"})
    assert refused.status_code == 422
