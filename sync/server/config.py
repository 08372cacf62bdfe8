"""Server settings: command-line options and `FAIRDESK_HQ_*` environment variables.

With no configuration at all the server keeps a SQLite file and a blob folder in a per-user data
directory, so `fairdesk-hq serve` works with nothing else installed.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("fairdesk-hq", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FAIRDESK_HQ_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    # SQLAlchemy URL; empty means `sqlite:///<data_dir>/hq.sqlite3`.
    database_url: str = ""
    # Blob folder; empty means `<data_dir>/blobs`.
    blobs_dir: Path | None = None
    # `s3://bucket/prefix`: objects in an S3-compatible bucket (endpoint and credentials from
    # AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION); empty = folder.
    blobs_url: str = ""
    # Garbage collection keeps an unreferenced blob this long after it lost its last reference
    # (or was uploaded), so a device that pushes the referencing change late still finds it.
    blob_gc_grace_days: float = Field(default=7.0, ge=0)
    # RFC 3161 key and certificates (`sync.server.tsa`); empty means `<data_dir>/tsa`.
    tsa_dir: Path | None = None

    access_token_ttl_seconds: int = Field(default=900, ge=1)
    refresh_token_ttl_days: int = Field(default=365, ge=1)

    max_body_bytes: int = Field(default=4 * MIB, ge=1024)
    max_mutations_per_push: int = Field(default=500, ge=1, le=500)
    max_changes_bytes: int = Field(default=64 * 1024, ge=256)
    max_pull_limit: int = Field(default=1000, ge=1, le=1000)
    # A pull page (and a page of a case view) stops adding rows past this many bytes of fields.
    max_pull_bytes: int = Field(default=4 * MIB, ge=1024)
    max_chunk_bytes: int = Field(default=8 * MIB, ge=1, le=8 * MIB)
    max_upload_bytes: int = Field(default=4096 * MIB, ge=1)
    default_quota_bytes: int = Field(default=50 * 1024 * MIB, ge=0)
    # An unfinished upload's length counts against the quota until this long after its last
    # activity (then it lapses; `fairdesk-hq uploads expire` removes its bytes).
    upload_reservation_hours: float = Field(default=24.0, gt=0)
    # `PUT /v1/blobs/{digest}`: a whole file of at most `max_chunk_bytes` in one request (create,
    # bytes and completion). Off: the server answers like one that predates it (405, no
    # `Upload-Single-Max` header), e.g. behind a proxy that must see every upload as PATCHes.
    single_request_uploads: bool = True

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'hq.sqlite3'}"

    def resolved_blobs_dir(self) -> Path:
        return self.blobs_dir if self.blobs_dir is not None else self.data_dir / "blobs"

    def resolved_tsa_dir(self) -> Path:
        return self.tsa_dir if self.tsa_dir is not None else self.data_dir / "tsa"

    def prepare(self) -> None:
        """Create the local folders the defaults point into."""
        if not self.database_url or self.blobs_dir is None:
            self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.resolved_blobs_dir().mkdir(parents=True, exist_ok=True, mode=0o700)
