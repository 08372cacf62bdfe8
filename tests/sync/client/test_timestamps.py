"""RFC 3161 timestamps through a real sync: a live `fairdesk-hq` as TSA, plus `openssl ts
-reply` served on 127.0.0.1 as a second, independent public TSA (tests/openssl_tsa.py).

A week of work offline then one sync stamps the newest head once per TSA and covers every
item; `openssl ts -verify` accepts every stored token; bad TSA answers are rejected with a
reason and the head stays queued; an export after the sync carries tokens that the bundled
verify.py and `openssl ts -verify` both accept.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import sqlite3
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from asn1crypto import tsp
from sqlalchemy import select

from fairdesk.documents import service as documents
from fairdesk.documents.service import export_entries
from fairdesk.evidence import export, service, timestamps
from fairdesk.evidence.timestamps import TimestampQueue, TimestampToken
from tests.fairdesk.documents.conftest import normalise, pdftotext
from tests.fairdesk.evidence.helpers import photo
from tests.openssl_tsa import OpensslTsa, Pki, make_pki, openssl_reply, openssl_verify
from tests.sync.devices import Node, make_node, new_case
from tests.sync.hq_harness import LiveHq

REPORT_FIELDS = {"company_name": "Example Machinery Ltd", "signatory_name": "Zhang Example"}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("public-tsa"), name="Public Test TSA")


@pytest.fixture
def public_tsa(pki: Pki) -> Iterator[OpensslTsa]:
    with OpensslTsa(pki) as served:
        yield served


def _configure(node: Node, tsa: OpensslTsa) -> None:
    data = node.store.data_dir
    (data / "public-tsa-roots.pem").write_bytes(tsa.pki.root_pem.read_bytes())
    (data / timestamps.CONFIG_NAME).write_text(
        json.dumps({"tsas": [{"name": "Public", "url": tsa.url, "roots": "public-tsa-roots.pem"}]})
    )


def _hq_tokens(hq: LiveHq) -> int:
    with sqlite3.connect(hq.db_url.removeprefix("sqlite:///")) as conn:
        return int(conn.execute("SELECT count(*) FROM tsa_tokens").fetchone()[0])


def _work_a_week_offline(node: Node, case_id: str, folder: Path) -> list[str]:
    ids = []
    for day in range(7):
        batch = [photo(folder / f"day{day}-{i}.JPG", seed=day * 10 + i) for i in range(2)]
        report = service.import_paths(node.store, case_id, batch)
        assert report.imported == 2
        ids += [r.id for r in service.list_items(node.store, case_id)]
        first = service.list_items(node.store, case_id)[0]
        service.edit_item(node.store, first.id, {"caption": f"seen again on day {day}"})
    return sorted(set(ids))


def test_a_week_offline_then_one_sync_stamps_everything_with_the_fewest_requests(
    hq: LiveHq, tenant: str, tmp_path: Path, public_tsa: OpensslTsa
) -> None:
    node = make_node(hq, tmp_path, "laptop", tenant)
    _configure(node, public_tsa)
    case_id = new_case(node.store)
    items = _work_a_week_offline(node, case_id, tmp_path / "card")
    with node.store.read() as session:
        assert set(timestamps.coverage(session, items).values()) == {None}  # all waiting
        queued = session.scalars(select(TimestampQueue.tree_size)).one()
    assert queued == 14  # every import moved the head; one queue row holds the newest

    result = node.sync()
    assert result.drained, result
    # One request per TSA for the whole week: the newest head covers every earlier entry.
    assert len(public_tsa.requests) == 1 and _hq_tokens(hq) == 1
    with node.store.read() as session:
        covers = timestamps.coverage(session, items)
        tokens = session.scalars(select(TimestampToken)).all()
        session.expunge_all()
        head = session.get(TimestampQueue, node.store.device.id)
        assert head is not None and head.last_error == ""
    assert len(covers) == 14 and all(c is not None for c in covers.values())
    assert {t.tsa_name for t in tokens} == {"HQ", "Public"}
    for token in tokens:
        folder = tmp_path / token.tsa_name
        folder.mkdir()
        (folder / "head.json").write_text(token.head_json)
        (folder / "token.tsr").write_bytes(token.token)
        (folder / "chain.pem").write_text(token.certs_pem)
        openssl_verify(folder / "head.json", folder / "token.tsr", folder / "chain.pem")

    # Nothing new: the next sync sends nothing.
    assert node.sync().drained
    assert len(public_tsa.requests) == 1 and _hq_tokens(hq) == 1
    node.close()


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("html", "instead of a timestamp"),
        ("garbage", "unreadable reply"),
        ("tampered", "altered"),
        ("other_head", "another custody-log head"),
    ],
)
def test_a_bad_public_tsa_is_rejected_and_the_head_stays_queued(
    hq: LiveHq, tenant: str, tmp_path: Path, public_tsa: OpensslTsa, mode: str, reason: str
) -> None:
    node = make_node(hq, tmp_path, "laptop", tenant)
    _configure(node, public_tsa)
    case_id = new_case(node.store)
    service.import_paths(node.store, case_id, [photo(tmp_path / "p.JPG")])
    public_tsa.mode = mode
    assert node.sync().drained  # a bad TSA never fails the sync itself
    device = node.store.device.id
    with node.store.read() as session:
        queued = session.get(TimestampQueue, device)
        assert queued is not None
        assert queued.last_error.startswith("Public: ") and reason in queued.last_error
        assert timestamps.pending_for(session, device, "Public") is not None
        assert timestamps.pending_for(session, device, "HQ") is None  # HQ's token is fine
        names = {t.tsa_name for t in session.scalars(select(TimestampToken))}
    assert names == {"HQ"}
    public_tsa.mode = "ok"
    assert node.sync().drained
    with node.store.read() as session:
        assert timestamps.pending_for(session, device, "Public") is None
        assert session.get(TimestampQueue, device).last_error == ""  # type: ignore[union-attr]
    node.close()


def test_hq_signing_under_another_root_than_the_pinned_one_is_untrusted(
    hq: LiveHq, tenant: str, tmp_path: Path, pki: Pki
) -> None:
    node = make_node(hq, tmp_path, "laptop", tenant)
    case_id = new_case(node.store)
    service.import_paths(node.store, case_id, [photo(tmp_path / "p.JPG")])
    pinned = timestamps.hq_root_path(node.store.data_dir)
    pinned.parent.mkdir(parents=True)
    pinned.write_bytes(pki.root_pem.read_bytes())  # pinned earlier: some other root
    assert node.sync().drained
    with node.store.read() as session:
        queued = session.get(TimestampQueue, node.store.device.id)
        assert queued is not None and "is not trusted" in queued.last_error
        assert session.scalars(select(TimestampToken)).all() == []
    node.close()


def test_an_export_after_one_sync_carries_tokens_that_verify_py_and_openssl_accept(
    hq: LiveHq, tenant: str, tmp_path: Path, public_tsa: OpensslTsa
) -> None:
    node = make_node(hq, tmp_path, "laptop", tenant)
    _configure(node, public_tsa)
    case_id = new_case(node.store)
    _work_a_week_offline(node, case_id, tmp_path / "card")
    assert node.sync().drained
    late = service.import_paths(node.store, case_id, [photo(tmp_path / "late.JPG", seed=99)])
    assert late.imported == 1  # after the sync: waits for the next connection

    # The evidence report names the covering timestamp for each photo (pdftotext, en and zh).
    for language, before, waiting in (
        ("en", "in the log before", "waiting for a connection"),
        ("zh", "之前已记入保管记录", "等待联网"),
    ):
        rendered = documents.render_document(
            node.store, case_id, "evidence_report", language, REPORT_FIELDS, save=False
        )
        pdf = tmp_path / f"report-{language}.pdf"
        pdf.write_bytes(rendered.data)
        text = normalise(pdftotext(pdf)).replace(" ", "")
        assert text.count(before.replace(" ", "")) == 14, text
        assert text.count(waiting.replace(" ", "")) == 1
        assert text.count("RFC3161") >= 15

    result = export.export_case(
        node.store, case_id, tmp_path / "out" / "bundle.zip", documents=export_entries
    )
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(result.path) as archive:
        archive.extractall(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["items"]) == 15
    stamped = [i for i in manifest["items"] if i["timestamp"] is not None]
    assert len(stamped) == 14 and {i["original_name"] for i in manifest["items"]} - {
        i["original_name"] for i in stamped
    } == {"late.JPG"}
    assert {r["tsa"] for r in manifest["timestamps"]} == {"HQ", "Public"}
    checked = subprocess.run(
        ["python3", "-S", "-I", "verify.py"],  # standard library only
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "ALL CHECKS PASSED" in checked.stdout
    assert checked.stdout.count("imprint matches") == len(manifest["timestamps"])
    for record in manifest["timestamps"]:
        assert record["openssl"] in checked.stdout  # the exact command is printed ...
        ran = subprocess.run(  # ... and it passes when run in the bundle folder
            shlex.split(record["openssl"]), cwd=folder, capture_output=True, text=True, timeout=30
        )
        assert ran.returncode == 0 and "Verification: OK" in ran.stdout, ran.stdout + ran.stderr
    how_to = (folder / "HOW-TO-VERIFY.txt").read_text(encoding="utf-8")
    assert "openssl ts -verify" in how_to and "独立时间（RFC 3161）" in how_to

    # A token for another head put in place (manifest hashes updated to match, as a forger
    # would): verify.py's own imprint check names it.
    record = next(r for r in manifest["timestamps"] if r["tsa"] == "Public")
    request, _nonce = timestamps.build_request(hashlib.sha256(b"another head").digest())
    reply = tsp.TimeStampResp.load(openssl_reply(public_tsa.pki, request))
    forged = reply["time_stamp_token"].dump()
    (folder / record["token"]).write_bytes(forged)
    manifest["files"][record["token"]]["sha256"] = hashlib.sha256(forged).hexdigest()
    manifest["files"][record["token"]]["size"] = len(forged)
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    bad = subprocess.run(
        ["python3", "-S", "-I", "verify.py"], cwd=folder, capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 1
    assert f"TIMESTAMP {record['token']} (Public): the token's message imprint" in bad.stdout
    node.close()
