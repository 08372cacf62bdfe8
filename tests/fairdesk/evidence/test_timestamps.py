"""RFC 3161 timestamps on the custody log: the queue, the token checks, coverage.

Tokens come from the real `openssl ts -reply` with a test CA (tests/openssl_tsa.py) and from
HQ's TSA code (sync.server.tsa); `openssl ts -verify` must accept every token we store.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from sqlalchemy import select

from fairdesk.evidence import service, timestamps
from fairdesk.evidence.timestamps import TimestampQueue, TimestampRejected
from fairdesk.store import Store
from sync.server import tsa as hq_tsa
from tests.fairdesk.evidence.helpers import photo
from tests.openssl_tsa import (
    Pki,
    make_pki,
    openssl_reply,
    openssl_verify,
    other_digest_request,
    tamper_token,
)


def _roots(pem: Path) -> tuple[x509.Certificate, ...]:
    return timestamps.load_pem_certs(pem.read_bytes())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("openssl-tsa"))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_openssl_token_passes_our_checks_and_openssl_verify(pki: Pki, tmp_path: Path) -> None:
    head = _write(tmp_path / "head.json", b'{"format":"fairdesk-custody-head/1"}')
    digest = hashlib.sha256(head.read_bytes()).digest()
    request, nonce = timestamps.build_request(digest)
    token = timestamps.check_reply(
        openssl_reply(pki, request), digest=digest, nonce=nonce, roots=_roots(pki.root_pem)
    )
    assert token.tsa_subject == "CN=Test TSA"
    assert "BEGIN CERTIFICATE" in token.certs_pem
    chain = _write(tmp_path / "chain.pem", token.certs_pem.encode())
    openssl_verify(head, _write(tmp_path / "t.tsr", token.token_der), chain)


def test_hq_token_passes_our_checks_and_openssl_verify(tmp_path: Path) -> None:
    authority = hq_tsa.load_or_create(tmp_path / "tsa")
    assert hq_tsa.load_or_create(tmp_path / "tsa").chain == authority.chain  # kept, not redone
    head = _write(tmp_path / "head.json", b'{"tree_size":3}')
    digest = hashlib.sha256(head.read_bytes()).digest()
    request, nonce = timestamps.build_request(digest)
    reply, _serial = hq_tsa.issue(authority, hq_tsa.parse_request(request), datetime.now(UTC))
    root = _write(tmp_path / "root.pem", authority.root_pem().encode())
    token = timestamps.check_reply(reply, digest=digest, nonce=nonce, roots=_roots(root))
    openssl_verify(head, _write(tmp_path / "t.tsr", token.token_der), root)
    openssl_verify(head, _write(tmp_path / "r.tsr", reply), root, token_in=False)


def _rejected(reply: bytes, digest: bytes, nonce: int, roots: Path) -> str:
    with pytest.raises(TimestampRejected) as caught:
        timestamps.check_reply(reply, digest=digest, nonce=nonce, roots=_roots(roots))
    return str(caught.value)


def test_bad_answers_are_rejected_with_a_reason(pki: Pki, tmp_path: Path) -> None:
    digest = b"\x11" * 32
    request, nonce = timestamps.build_request(digest)
    good = openssl_reply(pki, request)
    assert "altered" in _rejected(tamper_token(good), digest, nonce, pki.root_pem)
    other = openssl_reply(pki, other_digest_request(request))
    assert "another custody-log head" in _rejected(other, digest, nonce, pki.root_pem)
    assert "nonce differs" in _rejected(good, digest, nonce + 2, pki.root_pem)
    stranger = make_pki(tmp_path / "stranger", name="Stranger TSA")
    assert "is not trusted" in _rejected(good, digest, nonce, stranger.root_pem)
    assert "unreadable reply" in _rejected(b"<html>log in</html>", digest, nonce, pki.root_pem)
    assert "unreadable reply" in _rejected(b"\x30\x03\x02\x01", digest, nonce, pki.root_pem)
    expired = make_pki(tmp_path / "expired", expired=True, name="Old TSA")
    # openssl signs with an expired certificate without complaint; we must not accept it.
    old = openssl_reply(expired, request)
    assert "expired" in _rejected(old, digest, nonce, expired.root_pem)
    refused = hq_tsa.rejection(hq_tsa.BadRequest("bad_alg", "unsupported digest md5"))
    assert "refused" in _rejected(refused, digest, nonce, pki.root_pem)
    # ... and the good one still passes: each rejection above is about its own defect.
    timestamps.check_reply(good, digest=digest, nonce=nonce, roots=_roots(pki.root_pem))


def test_queue_keeps_only_the_newest_head_and_coverage_follows_tokens(
    vault_store: Store, case_id: str, files: Path, pki: Pki
) -> None:
    report = service.import_paths(
        vault_store, case_id, [photo(files / f"P{i}.JPG", seed=i) for i in range(3)]
    )
    assert report.imported == 3
    device = vault_store.device.id
    with vault_store.read() as session:
        queued = session.scalars(select(TimestampQueue)).all()
        assert [(q.device_id, q.tree_size) for q in queued] == [(device, 3)]
        assert set(timestamps.coverage(session).values()) == {None}
        pending = timestamps.pending_for(session, device, "Test")
    assert pending is not None and pending.tree_size == 3
    request, nonce = timestamps.build_request(pending.digest)
    token = timestamps.check_reply(
        openssl_reply(pki, request), digest=pending.digest, nonce=nonce, roots=_roots(pki.root_pem)
    )
    with vault_store.write() as session:
        timestamps.save_token(session, pending, "Test", "http://127.0.0.1/tsa", token)
    with vault_store.read() as session:
        covers = timestamps.coverage(session)
        assert timestamps.pending_for(session, device, "Test") is None
        assert timestamps.pending_for(session, device, "HQ") is not None  # each TSA on its own
    assert len(covers) == 3 and all(c is not None and c.tsa_name == "Test" for c in covers.values())
    text = timestamps.cover_text(next(iter(covers.values())))
    assert text.startswith("In the log before ") and "RFC 3161 token from Test" in text
    service.import_paths(vault_store, case_id, [photo(files / "late.JPG", seed=9)])
    with vault_store.read() as session:
        covers = timestamps.coverage(session)
        again = timestamps.pending_for(session, device, "Test")
    assert sum(c is None for c in covers.values()) == 1  # the new photo waits, the rest stay
    assert again is not None and again.tree_size == 4


def test_a_log_written_before_the_upgrade_is_queued_by_the_migration(
    vault_store: Store, case_id: str, files: Path
) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory

    from fairdesk.store import _alembic_config, open_store

    service.import_paths(vault_store, case_id, [photo(files / f"P{i}.JPG", seed=i) for i in (1, 2)])
    config = _alembic_config()
    before = ScriptDirectory.from_config(config).get_revision("0013_timestamps").down_revision
    with vault_store.engine.begin() as connection:  # back to the schema before timestamps
        config.attributes["connection"] = connection
        command.downgrade(config, str(before))
    data_dir = vault_store.data_dir
    vault_store.close()
    store = open_store(data_dir)
    try:
        with store.read() as session:
            queued = session.scalars(select(TimestampQueue)).all()
            assert [(q.device_id, q.tree_size) for q in queued] == [(store.device.id, 2)]
            assert queued[0].queued_at.tzinfo is not None
    finally:
        store.close()
