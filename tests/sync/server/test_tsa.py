"""HQ as an RFC 3161 time-stamping authority (`POST /v1/tsa`), on SQLite and PostgreSQL.

Only enrolled devices get tokens; every token issued is logged with its tenant and device;
a malformed request gets an RFC 3161 rejection, a wrong media type 415; the TSA key made at
first start is kept across restarts; `openssl ts -verify` accepts what HQ issues.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from fastapi import FastAPI
from starlette.testclient import TestClient

from fairdesk.evidence import timestamps
from sync.server.app import create_app
from sync.server.config import Settings
from sync.server.models import TsaToken
from tests.sync.server.helpers import count, device, tenant

QUERY = {"Content-Type": "application/timestamp-query"}


def test_hq_issues_logged_tokens_that_openssl_accepts(
    hq_app: FastAPI, hq_http: TestClient, hq_settings: Settings, tmp_path: Path
) -> None:
    tenant(hq_app, "Acme Tools")
    laptop = device(hq_http, hq_app, "Acme Tools")
    head = tmp_path / "head.json"
    head.write_bytes(b'{"format":"fairdesk-custody-head/1","tree_size":7}')
    digest = hashlib.sha256(head.read_bytes()).digest()
    request, nonce = timestamps.build_request(digest)

    assert hq_http.post("/v1/tsa", content=request, headers=QUERY).status_code == 401
    answer = laptop.request("POST", "/v1/tsa", content=request, headers=QUERY)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/timestamp-reply"
    chain = laptop.request("GET", "/v1/tsa/certificates").text
    root = timestamps.load_pem_certs(chain.encode())[-1:]
    token = timestamps.check_reply(answer.content, digest=digest, nonce=nonce, roots=root)
    (tmp_path / "reply.tsr").write_bytes(answer.content)
    (tmp_path / "chain.pem").write_text(chain)
    verified = subprocess.run(
        [
            *("openssl", "ts", "-verify", "-data", str(head)),
            *("-in", str(tmp_path / "reply.tsr"), "-CAfile", str(tmp_path / "chain.pem")),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert verified.returncode == 0 and "Verification: OK" in verified.stdout, verified.stderr
    assert count(hq_app, TsaToken, TsaToken.serial == token.serial) == 1
    assert count(hq_app, TsaToken, TsaToken.imprint == digest.hex()) == 1

    # Not an RFC 3161 request: a rejection inside RFC 3161, nothing logged.
    bad = laptop.request("POST", "/v1/tsa", content=b"<html>hello</html>", headers=QUERY)
    assert bad.status_code == 200
    try:
        timestamps.check_reply(bad.content, digest=digest, nonce=nonce, roots=root)
    except timestamps.TimestampRejected as exc:
        assert "refused" in str(exc) and "TimeStampReq" in str(exc)
    else:
        raise AssertionError("a malformed request was granted")
    json_body = laptop.request("POST", "/v1/tsa", json={"digest": "00"})
    assert json_body.status_code == 415
    assert count(hq_app, TsaToken) == 1

    # The key made at first start is kept: a restarted HQ signs with the same certificate.
    again = create_app(hq_settings, run_migrations=False)
    try:
        assert again.state.tsa.chain_pem() == chain
    finally:
        again.state.db.dispose()
