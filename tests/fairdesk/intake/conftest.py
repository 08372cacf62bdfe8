"""Fixtures for the phone intake tests: a store with one case, real photos, a live HTTPS intake."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from fairdesk import cases
from fairdesk.intake.server import IntakeServer
from fairdesk.intake.session import IntakeSession
from fairdesk.model import Direction, Trigger
from fairdesk.store import Store, open_store


def new_case(store: Store, title: str = "Copy of our blender at Hall 3") -> str:
    return cases.create_case(
        store, cases.CaseInput(title=title, direction=Direction.BY_US, trigger=Trigger.COPY_SPOTTED)
    )


def photo_bytes(seed: int, size: tuple[int, int] = (640, 480), fmt: str = "JPEG") -> bytes:
    """A real, decodable photo whose bytes differ per seed."""
    image = Image.new("RGB", size, ((seed * 37) % 256, (seed * 91) % 256, (seed * 13) % 256))
    for x in range(0, size[0], 7):
        image.putpixel((x, (x * seed) % size[1]), (255, 255, 255))
    out = io.BytesIO()
    image.save(out, fmt, quality=90) if fmt == "JPEG" else image.save(out, fmt)
    return out.getvalue()


@pytest.fixture
def intake_store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path / "data")
    yield opened
    opened.close()


@pytest.fixture
def intake_case(intake_store: Store) -> str:
    return new_case(intake_store)


class Intake:
    """A running intake plus a ``requests`` client that behaves like the phone page."""

    def __init__(self, server: IntakeServer) -> None:
        self.server = server
        self.session = server.session
        self.http = requests.Session()
        self.http.trust_env = False  # no proxy or CA bundle from the environment
        # Trust exactly this session's certificate (what a careful phone user confirms by
        # comparing the fingerprint); it names 127.0.0.1, so host-name checking stays on.
        pem = server.session.store.data_dir.parent / f"intake-{server.port}.pem"
        pem.write_bytes(server.certificate.cert_pem)
        self.http.verify = str(pem)
        self.events: list[tuple[str, Any]] = []
        self.session.subscribe(lambda event, payload: self.events.append((event, payload)))

    @property
    def base(self) -> str:
        return self.server.url.rstrip("/")

    def pair(self, token: str | None = None) -> requests.Response:
        return self.http.post(
            f"{self.base}/api/pair",
            json={"token": self.session.token if token is None else token},
            headers={"User-Agent": "TestPhone/1.0"},
            timeout=30,
        )

    def paired_key(self) -> str:
        response = self.pair()
        assert response.status_code == 200, response.text
        return str(response.json()["key"])

    def announce(self, key: str, name: str, data: bytes, sha256: str = "") -> requests.Response:
        return self.http.post(
            f"{self.base}/api/uploads",
            data=json.dumps({"name": name, "size": len(data), "sha256": sha256}),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            timeout=30,
        )

    def put(self, key: str, upload_id: str, offset: int, chunk: bytes) -> requests.Response:
        return self.http.put(
            f"{self.base}/api/uploads/{upload_id}",
            data=chunk,
            headers={"Authorization": f"Bearer {key}", "Upload-Offset": str(offset)},
            timeout=60,
        )

    def send(
        self, key: str, name: str, data: bytes, sha256: str = "", chunk: int = 1 << 20
    ) -> requests.Response:
        """Announce and send a whole file in chunks; the last response."""
        response = self.announce(key, name, data, sha256)
        if response.status_code != 200:
            return response
        state = response.json()
        while state["result"] is None:
            offset = state["offset"]
            if offset == len(data):  # all bytes arrived: wait for the import's outcome
                response = self.outcome(key, state["id"])
            else:
                response = self.put(key, state["id"], offset, data[offset : offset + chunk])
            if response.status_code != 200:
                return response
            state = response.json()
        return response

    def outcome(self, key: str, upload_id: str) -> requests.Response:
        return self.http.get(
            f"{self.base}/api/uploads/{upload_id}?wait=1",
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )


@pytest.fixture
def make_intake(intake_store: Store, intake_case: str) -> Iterator[Callable[..., Intake]]:
    started: list[IntakeServer] = []

    def start(**options: Any) -> Intake:
        session = IntakeSession(intake_store, intake_case, **options)
        server = IntakeServer(session, "127.0.0.1", 0)
        started.append(server)
        return Intake(server)

    yield start
    for server in started:
        server.close()


@pytest.fixture
def intake(make_intake: Callable[..., Intake]) -> Intake:
    return make_intake(max_file_size=2 << 20, token_ttl=timedelta(minutes=10))
