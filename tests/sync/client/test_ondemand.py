"""Issue 15 item 2: evidence on demand on every device that may see it.

A real booth device folder imports real JPEGs, renders a document and syncs to a real
`fairdesk-hq` subprocess; a second device folder enrolled as ``legal`` pulls the case rows.
The legal device's `fairdesk verify` and `fairdesk export` (the real commands, in
subprocesses) download what only HQ holds and pass, and the bundle's own verify.py passes. A
download cut mid-way (fault proxy) resumes from the bytes on disk; a byte changed on its way
from HQ is refused and nothing enters the vault; with HQ stopped, verify and export say in one
sentence that the device is offline and which items are not downloaded; a booth laptop
(responder) does not fetch other devices' files.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from fairdesk.crypto import keys
from fairdesk.documents import service as documents
from fairdesk.evidence import ondemand
from fairdesk.evidence.models import EvidenceItem
from fairdesk.evidence.service import import_files
from fairdesk.evidence.vocab import Integrity
from fairdesk.store import Store, open_store
from fairdesk.vault import PARTIAL_DIR
from sync.client import blobs
from sync.client import ondemand as client_ondemand
from sync.client.engine import make_transport
from sync.client.enroll import enroll
from sync.client.errors import Offline
from tests.conftest import TEST_PASSPHRASE
from tests.fairdesk.evidence.helpers import photo
from tests.sync.devices import Node, make_node, new_case
from tests.sync.faultproxy import fault_proxy
from tests.sync.hq_harness import LiveHq

FAIRDESK = Path(sys.executable).with_name("fairdesk")


@pytest.fixture(autouse=True)
def _fetcher() -> None:
    client_ondemand.install()  # what the `fairdesk` command and the app do at start


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(FAIRDESK), "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"},
    )


def _noisy_jpeg(path: Path, side: int = 1200, seed: int = 1) -> Path:
    """A real JPEG of about a megabyte (noise does not compress): several read chunks."""
    rng = random.Random(seed)
    Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3)).save(path, quality=95)
    return path


def _booth_case(hq: LiveHq, tenant: str, tmp_path: Path) -> tuple[Node, str, list[str]]:
    """The booth laptop's case: two photos and a generated document, synced to HQ."""
    booth = make_node(hq, tmp_path, "booth", tenant, "responder")
    case_id = new_case(booth.store, "Design complaint, Hannover Messe hall 4")
    pictures = [photo(tmp_path / "stand.jpg", seed=3), _noisy_jpeg(tmp_path / "detail.jpg")]
    import_files(booth.store, case_id, pictures)
    letter = documents.render_document(
        booth.store, case_id, "evidence_report", "en", {}, allow_blanks=True
    )
    assert letter.document is not None
    shas = [hashlib.sha256(p.read_bytes()).hexdigest() for p in pictures]
    assert booth.sync().drained
    return booth, case_id, [*shas, letter.document.sha256]


def _vault_files(store: Store) -> set[str]:
    return set(store.vault.stored_hashes())


def test_legal_device_verify_and_export_fetch_and_pass(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    booth, case_id, shas = _booth_case(hq, tenant, tmp_path)
    legal = make_node(hq, tmp_path, "legal", tenant, "legal")
    assert legal.sync().drained
    assert not _vault_files(legal.store) & set(shas)  # rows only, no files yet
    legal.close()  # the commands below open the folder themselves

    done = _cli(legal.store.data_dir, "verify", case_id, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert sorted(report["fetched"]) == sorted(shas)
    assert report["ok"] and report["not_downloaded"] == [] and report["items_checked"] == 2

    store = open_store(legal.store.data_dir)
    try:
        vault = store.vault
        assert all(vault.hash_blob(sha) == sha for sha in shas)
        with store.read() as session:
            flags = {i.integrity for i in session.query(EvidenceItem)}
        assert flags == {Integrity.OK}
    finally:
        store.close()

    bundle = tmp_path / "out" / "case.zip"
    done = _cli(legal.store.data_dir, "export", case_id, "--out", str(bundle))
    assert done.returncode == 0, done.stderr
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(unpacked)
        names = archive.namelist()
    assert {f"originals/{sha}.jpg" for sha in shas[:2]} <= set(names)
    assert any(n.startswith("documents/") for n in names)
    checked = subprocess.run(
        [sys.executable, "verify.py"], cwd=unpacked, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0 and "ALL CHECKS PASSED" in checked.stdout, checked.stdout
    booth.close()


def test_export_fetches_by_itself_on_a_legal_device(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    booth, case_id, shas = _booth_case(hq, tenant, tmp_path)
    legal = make_node(hq, tmp_path, "legal", tenant, "legal")
    assert legal.sync().drained
    legal.close()
    bundle = tmp_path / "direct.zip"
    done = _cli(legal.store.data_dir, "export", case_id, "--out", str(bundle))
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(bundle) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert {i["sha256"] for i in manifest["items"]} == set(shas[:2])
    assert {d["sha256"] for d in manifest["documents"]} == {shas[2]}
    booth.close()


def test_hq_stopped_gives_one_sentence_and_touches_nothing(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    booth, case_id, shas = _booth_case(hq, tenant, tmp_path)
    legal = make_node(hq, tmp_path, "legal", tenant, "legal")
    assert legal.sync().drained
    legal.close()
    database = legal.store.data_dir / "fairdesk.sqlite3"
    hq.kill()

    done = _cli(legal.store.data_dir, "verify", case_id)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    sentence = done.stderr.strip().splitlines()[-1]
    assert "offline" in sentence and "“detail.jpg”" in sentence and "“stand.jpg”" in sentence
    assert "backup" not in done.stdout + done.stderr

    before = database.read_bytes()
    bundle = tmp_path / "never.zip"
    done = _cli(legal.store.data_dir, "export", case_id, "--out", str(bundle))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    said = [line for line in done.stderr.splitlines() if not line.startswith("fairdesk: warning")]
    assert len(said) == 1 and "offline" in said[0] and "“detail.jpg”" in said[0], said
    assert not bundle.exists() and not list(tmp_path.glob(".never.zip*"))
    assert database.read_bytes() == before  # the refused export wrote nothing
    store = open_store(legal.store.data_dir)
    try:
        assert not _vault_files(store) & set(shas)
        with store.read() as session:
            assert {i.integrity for i in session.query(EvidenceItem)} == {Integrity.REMOTE}
    finally:
        store.close()
    booth.close()


def test_a_booth_laptop_does_not_fetch_other_devices_files(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    booth, case_id, shas = _booth_case(hq, tenant, tmp_path)
    colleague = make_node(hq, tmp_path, "colleague", tenant, "responder")
    assert colleague.sync().drained
    colleague.close()
    done = _cli(colleague.store.data_dir, "verify", case_id, "--json")
    assert done.returncode == 0, done.stderr  # held by HQ is not a problem
    report = json.loads(done.stdout)
    assert report["fetched"] == [] and len(report["not_downloaded"]) == 2
    done = _cli(colleague.store.data_dir, "verify", case_id, "--fetch")
    assert done.returncode == 1 and "Not available to this device" in done.stderr
    store = open_store(colleague.store.data_dir)
    try:
        assert not _vault_files(store) & set(shas)
    finally:
        store.close()
    booth.close()


def _encrypted_legal(hq: LiveHq, tenant: str, folder: Path, url: str) -> Store:
    setup = keys.create_keyfile(folder, TEST_PASSPHRASE, params=keys.TEST_KDF)
    store = open_store(folder, data_key=setup.data_key)
    enroll(store, url, hq.enroll_code(tenant, "legal"), "legal laptop")
    return store


def test_cut_download_resumes_from_the_bytes_on_disk(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    booth, _case_id, shas = _booth_case(hq, tenant, tmp_path)
    big = shas[1]
    size = booth.store.vault.stored_size(big)
    assert size is not None and size > 500_000
    with fault_proxy(hq.base_url) as proxy:
        legal = _encrypted_legal(hq, tenant, tmp_path / "legal", proxy.url)
        try:
            Node("legal", legal, proxy.url).sync()
            transport = make_transport(legal)
            try:
                transport.refresh()  # the token exchange is not part of the download's bytes
                start = proxy.bytes_down
                proxy.cut_down_at = [start + size // 2]
                with pytest.raises(Offline):
                    blobs.download(legal, transport, big)
                partial = legal.vault.partial(big)
                kept = partial.size()
                assert 0 < kept < size
                raw = partial.path.read_bytes()
                with booth.store.vault.open_original_for_read(big) as original:
                    piece = original.read(4096)
                assert piece[1024:1056] not in raw  # encrypted at rest, even half-downloaded
                assert not legal.vault.exists(big)

                blobs.download(legal, transport, big)
            finally:
                transport.close()
            resent = proxy.bytes_down - start - size
            assert resent < size // 4, resent  # the second request asked only for the rest
            vault = legal.vault
            assert vault.hash_blob(big) == big
            assert not partial.path.exists()
            assert not vault.blob_path(big).read_bytes().startswith(piece[:64])  # ciphertext
        finally:
            legal.close()
    booth.close()


def test_the_fetcher_resumes_by_itself_and_reports_progress(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    booth, case_id, shas = _booth_case(hq, tenant, tmp_path)
    with fault_proxy(hq.base_url) as proxy:
        legal = make_node(hq, tmp_path, "legal", tenant, "legal", url=proxy.url)
        try:
            assert legal.sync().drained
            wanted = ondemand.missing(legal.store, case_id)
            assert {w.sha256 for w in wanted} == set(shas)
            total = sum(w.size for w in wanted)
            proxy.cut_down_at = [proxy.bytes_down + total // 2, proxy.bytes_down + total // 2 + 1]
            seen: list[ondemand.Progress] = []
            assert ondemand.ensure_case(legal.store, case_id, seen.append) != []
            assert proxy.cuts_done >= 1
            assert all(legal.store.vault.hash_blob(sha) == sha for sha in shas)
            assert seen[-1].all_done == seen[-1].all_size == total
            assert {p.index for p in seen} == {0, 1, 2} and seen[-1].count == 3
            assert [p.all_done for p in seen] == sorted(p.all_done for p in seen)
        finally:
            legal.close()
    booth.close()


def test_a_byte_changed_by_the_network_is_refused_and_nothing_enters_the_vault(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    booth, _case_id, shas = _booth_case(hq, tenant, tmp_path)
    big = shas[1]
    with fault_proxy(hq.base_url) as proxy:
        legal = make_node(hq, tmp_path, "legal", tenant, "legal", url=proxy.url)
        try:
            assert legal.sync().drained
            transport = make_transport(legal.store)
            transport.refresh()
            before = set(legal.store.vault.stored_hashes())
            proxy.flip_down_at = [proxy.bytes_down + 100_000]
            try:
                with pytest.raises(blobs.Mismatch):
                    blobs.download(legal.store, transport, big)
            finally:
                transport.close()
            assert set(legal.store.vault.stored_hashes()) == before
            assert not any((legal.store.data_dir / PARTIAL_DIR).glob("*.part"))
            assert not list((legal.store.data_dir / "vault").glob(".incoming-*"))

            # Through the fetcher: the same refusal, in words; then a clean link works.
            proxy.flip_down_at = [proxy.bytes_down + 100_000]
            with pytest.raises(ondemand.NotDownloaded) as refused:
                ondemand.ensure_one(legal.store, big, "detail.jpg")
            assert refused.value.missed[big].failure is ondemand.Failure.DAMAGED
            assert not legal.store.vault.exists(big)
            assert ondemand.ensure_one(legal.store, big, "detail.jpg")
            assert legal.store.vault.hash_blob(big) == big
        finally:
            legal.close()
    booth.close()


def test_a_guidance_centre_fetches_only_the_escalated_case(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    from sync.client.hq import escalate

    hq.add_tenant("Guidance Centre", kind="guidance")
    booth, case_id, shas = _booth_case(hq, tenant, tmp_path)
    other_case = new_case(booth.store, "Not escalated")
    import_files(booth.store, other_case, [photo(tmp_path / "private.jpg", seed=9)])
    private = hashlib.sha256((tmp_path / "private.jpg").read_bytes()).hexdigest()
    assert booth.sync().drained
    office = make_node(hq, tmp_path, "office", tenant, "legal")
    centre = make_node(hq, tmp_path, "centre", "Guidance Centre", "guidance")
    assert office.sync().drained
    escalate(office.store, case_id, "Guidance Centre", reason="needs experts")
    assert office.sync().drained and centre.sync().drained

    assert ondemand.ensure_case(centre.store, case_id) != []
    assert all(centre.store.vault.hash_blob(sha) == sha for sha in shas)
    # A blob of a case HQ never escalated to the centre: HQ answers 404, said in words.
    with pytest.raises(ondemand.NotDownloaded) as refused:
        ondemand.ensure_one(centre.store, private, "private.jpg")
    assert refused.value.missed[private].failure is ondemand.Failure.NOT_AVAILABLE
    assert "Not available to this device" in str(refused.value)
    assert not centre.store.vault.exists(private)
    for node in (booth, office, centre):
        node.close()
