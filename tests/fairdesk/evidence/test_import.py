"""Importing real files: metadata, dedupe, and every kind of bad input the issue lists."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from fairdesk.evidence import service
from fairdesk.evidence.vocab import EvidenceKind, ImportStatus
from fairdesk.store import Store
from tests.fairdesk.evidence.conftest import new_case
from tests.fairdesk.evidence.helpers import minimal_pdf, photo, png_flood_header


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def only(report: service.ImportReport) -> service.ImportOutcome:
    assert len(report.outcomes) == 1, report
    return report.outcomes[0]


def test_metadata_with_offset_subseconds_gps_and_camera(
    vault_store: Store, case_id: str, files: Path
) -> None:
    path = photo(
        files / "IMG_0001.JPG",
        (640, 480),
        orientation=6,
        gps=(-33.8688, -151.2093),
        taken="2026:03:05 14:03:22",
        offset="+08:00",
        subsec="45",
    )
    outcome = only(service.import_paths(vault_store, case_id, [path]))
    assert outcome.status == ImportStatus.IMPORTED and outcome.sha256 == sha(path)
    [row] = service.list_items(vault_store, case_id)
    assert (row.make, row.model, row.orientation) == ("Canon", "EOS R6", 6)
    assert (row.width, row.height, row.mime, row.kind) == (
        640,
        480,
        "image/jpeg",
        EvidenceKind.IMAGE,
    )
    assert row.captured_local == "2026-03-05T14:03:22.450" and row.captured_offset == "+08:00"
    assert (
        row.captured_at is not None
        and row.captured_at.isoformat() == "2026-03-05T06:03:22.450000+00:00"
    )
    assert row.capture_is_claim
    # Cross-check the position with exiftool reading the same original.
    out = subprocess.run(
        [
            "exiftool",
            "-n",
            "-j",
            "-GPSLatitude",
            "-GPSLongitude",
            str(service.original_path(vault_store, row.sha256)),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    tool = json.loads(out.stdout)[0]
    assert (
        row.gps_lat
        == pytest.approx(tool["GPSLatitude"], abs=1e-6)
        == pytest.approx(-33.8688, abs=1e-4)
    )
    assert (
        row.gps_lon
        == pytest.approx(tool["GPSLongitude"], abs=1e-6)
        == pytest.approx(-151.2093, abs=1e-4)
    )


def test_time_without_offset_is_local_only(vault_store: Store, case_id: str, files: Path) -> None:
    path = photo(files / "a.jpg", offset=None, subsec=None, gps=None)
    only(service.import_paths(vault_store, case_id, [path]))
    [row] = service.list_items(vault_store, case_id)
    assert row.captured_local == "2026-03-05T14:03:22"
    assert row.captured_offset == "" and row.captured_at is None and row.gps_lat is None


def test_orientation_correct_thumbnail(vault_store: Store, case_id: str, files: Path) -> None:
    # Orientation 6 = rotate 90° clockwise to display: the white top band ends up on the right.
    path = photo(files / "rot.jpg", (400, 200), orientation=6, color=(0, 0, 0))
    outcome = only(service.import_paths(vault_store, case_id, [path]))
    thumb = service.thumbnail(vault_store, outcome.sha256, 128)
    assert thumb is not None
    with Image.open(thumb) as im:
        assert im.size[1] > im.size[0]  # upright: taller than wide
        right = im.convert("L").getpixel((im.size[0] - 2, im.size[1] // 2))
        left = im.convert("L").getpixel((1, im.size[1] // 2))
        assert isinstance(right, int) and isinstance(left, int)  # one band: plain numbers
        assert right > 200 > 50 > left


def test_heic_stays_heic_and_gets_a_thumbnail(
    vault_store: Store, case_id: str, files: Path
) -> None:
    import pillow_heif

    from tests.fairdesk.evidence.helpers import exif_for

    pillow_heif.register_heif_opener()
    path = files / "IMG_1234.HEIC"
    Image.new("RGB", (320, 240), (10, 120, 200)).save(
        path, format="HEIF", quality=60, exif=exif_for(make="Apple", model="iPhone 15").tobytes()
    )
    outcome = only(service.import_paths(vault_store, case_id, [path]))
    [row] = service.list_items(vault_store, case_id)
    assert row.mime == "image/heic" and row.kind == EvidenceKind.IMAGE and row.make == "Apple"
    assert service.original_path(vault_store, row.sha256).read_bytes() == path.read_bytes()
    assert service.thumbnail(vault_store, outcome.sha256) is not None


def test_identical_bytes_stored_once(vault_store: Store, case_id: str, files: Path) -> None:
    first = photo(files / "a.jpg")
    copy = files / "copy-of-a.jpg"
    copy.write_bytes(first.read_bytes())
    report = service.import_paths(vault_store, case_id, [first, copy])
    assert [o.status for o in report.outcomes] == [ImportStatus.IMPORTED, ImportStatus.DUPLICATE]
    assert "Already present" in report.outcomes[1].reason
    assert report.outcomes[1].item_id == report.outcomes[0].item_id
    other_case = new_case(vault_store, "Second case")
    again = only(service.import_paths(vault_store, other_case, [copy]))
    assert again.status == ImportStatus.IMPORTED  # evidence in another case, same single blob
    assert sum(1 for _ in vault_store.vault.stored_hashes()) == 1


def test_zero_byte_file_is_rejected_and_the_batch_goes_on(
    vault_store: Store, case_id: str, files: Path
) -> None:
    (files / "0-empty.jpg").write_bytes(b"")
    photo(files / "1-good.jpg")
    report = service.import_paths(vault_store, case_id, [files])
    assert [o.status for o in report.outcomes] == [ImportStatus.REJECTED, ImportStatus.IMPORTED]
    assert "empty" in report.outcomes[0].reason


def test_corrupt_jpeg_kept_byte_exact_as_file_item(
    vault_store: Store, case_id: str, files: Path
) -> None:
    good = photo(files / "x.jpg").read_bytes()
    corrupt = files / "corrupt.jpg"
    corrupt.write_bytes(good[:200] + os.urandom(3000))  # valid start, garbage body
    outcome = only(service.import_paths(vault_store, case_id, [corrupt]))
    assert outcome.status == ImportStatus.IMPORTED and "kept byte-exact" in outcome.reason
    [row] = service.list_items(vault_store, case_id)
    assert (row.kind, row.mime) == (EvidenceKind.FILE, "image/jpeg")
    assert service.original_path(vault_store, row.sha256).read_bytes() == corrupt.read_bytes()
    assert service.thumbnail(vault_store, row.sha256) is None


def test_truncated_jpeg_kept_byte_exact(vault_store: Store, case_id: str, files: Path) -> None:
    full = photo(files / "full.jpg", (800, 600), seed=3).read_bytes()
    cut = files / "cut.jpg"
    cut.write_bytes(full[: len(full) // 2])
    outcome = only(service.import_paths(vault_store, case_id, [cut]))
    assert outcome.status == ImportStatus.IMPORTED and outcome.sha256 == sha(cut)
    assert service.get_item(vault_store, outcome.item_id).kind == EvidenceKind.FILE


def test_jpg_that_is_really_a_pdf(vault_store: Store, case_id: str, files: Path) -> None:
    fake = minimal_pdf(files / "photo.jpg")
    outcome = only(service.import_paths(vault_store, case_id, [fake]))
    row = service.get_item(vault_store, outcome.item_id)
    assert (row.mime, row.kind) == ("application/pdf", EvidenceKind.PDF)
    assert ".jpg" in outcome.reason and "application/pdf" in outcome.reason


def test_pixel_flood_png_never_decoded_but_kept(
    vault_store: Store, case_id: str, files: Path
) -> None:
    flood = png_flood_header(files / "flood.png")
    outcome = only(service.import_paths(vault_store, case_id, [flood]))
    assert outcome.status == ImportStatus.IMPORTED and "50000 × 50000" in outcome.reason
    row = service.get_item(vault_store, outcome.item_id)
    assert (row.kind, row.width, row.height) == (EvidenceKind.FILE, 50_000, 50_000)
    assert service.thumbnail(vault_store, row.sha256) is None
    assert service.original_path(vault_store, row.sha256).read_bytes() == flood.read_bytes()


def test_odd_names_are_recorded_never_used_as_paths(
    vault_store: Store, case_id: str, files: Path
) -> None:
    sub = files / "sub"
    sub.mkdir()
    names = ["line\nbreak.jpg", "evil\u202egpj.exe", "表情😀.jpg", "..", "café.jpg"]
    paths = []
    for index, name in enumerate(names):
        if name == "..":
            paths.append(photo(sub / ".." / "dotdot.jpg", seed=90))  # path with ../ in it
        else:
            paths.append(photo(files / name, seed=index))
    raw = os.fsencode(files) + b"/bad-\xff\xfe.jpg"
    photo(Path(os.fsdecode(raw)), seed=77)
    paths.append(Path(os.fsdecode(raw)))
    report = service.import_paths(vault_store, case_id, paths)
    assert [o.status for o in report.outcomes] == [ImportStatus.IMPORTED] * 6
    recorded = {r.original_name for r in service.list_items(vault_store, case_id)}
    assert {
        "line\nbreak.jpg",
        "evil\u202egpj.exe",
        "表情😀.jpg",
        "dotdot.jpg",
        "café.jpg",
        "bad-\ufffd\ufffd.jpg",
    } == recorded
    # Nothing but hash-named blobs appeared in the vault.
    vault = vault_store.data_dir / "vault"
    for entry in vault.rglob("*"):
        if entry.is_file() and entry.name != ".lock":
            assert len(entry.name) == 64 and entry.parent.parent == vault
    shown = {r.display_name for r in service.list_items(vault_store, case_id)}
    assert "line\ufffdbreak.jpg" in shown and "evil\ufffdgpj.exe" in shown


def test_file_vanishing_mid_import(vault_store: Store, case_id: str, files: Path) -> None:
    for index in range(3):
        photo(files / f"{index}.jpg", seed=index)

    def progress(p: service.ImportProgress) -> None:
        if p.name == "0.jpg" and p.bytes_done == 0:
            (files / "1.jpg").unlink()  # the card is pulled while 0.jpg is copied

    report = service.import_paths(vault_store, case_id, [files], progress=progress)
    assert [o.status for o in report.outcomes] == [
        ImportStatus.IMPORTED,
        ImportStatus.REJECTED,
        ImportStatus.IMPORTED,
    ]
    assert "no longer there" in report.outcomes[1].reason


def test_own_data_folder_is_never_imported(vault_store: Store, case_id: str) -> None:
    report = service.import_paths(
        vault_store, case_id, [vault_store.data_dir, vault_store.data_dir / "fairdesk.sqlite3"]
    )
    assert [o.status for o in report.outcomes] == [ImportStatus.REJECTED, ImportStatus.REJECTED]
    assert service.list_items(vault_store, case_id) == []


def test_cancel_stops_between_files(vault_store: Store, case_id: str, files: Path) -> None:
    for index in range(5):
        photo(files / f"{index}.jpg", seed=index)

    class Token:
        cancelled = False

    token = Token()

    def progress(p: service.ImportProgress) -> None:
        if p.done == 2:
            token.cancelled = True

    report = service.import_paths(vault_store, case_id, [files], cancel=token, progress=progress)
    assert report.cancelled and report.imported == 2 and report.not_started == 3
    assert len(service.list_items(vault_store, case_id)) == 2
    assert not list((vault_store.data_dir / "vault").glob(".incoming-*"))


SPARSE_CHILD = r"""
import json, resource, sys
from fairdesk.store import open_store
from fairdesk.evidence import service
store = open_store(sys.argv[1])
before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
report = service.import_paths(store, sys.argv[2], [sys.argv[3]])
o = report.outcomes[0]
print(json.dumps({"status": o.status, "sha256": o.sha256, "kind": service.get_item(store, o.item_id).kind,
                  "growth_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_kb}))
"""


def test_two_gigabyte_video_is_streamed(vault_store: Store, case_id: str, files: Path) -> None:
    video = files / "booth.mp4"
    size = 2 * 1024**3 + 17
    with open(video, "wb") as handle:
        handle.write(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")
        handle.seek(size - 1)
        handle.write(b"\x01")
    digest = hashlib.sha256()
    with open(video, "rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    vault_store.close()
    out = subprocess.run(
        [sys.executable, "-c", SPARSE_CHILD, str(vault_store.data_dir), case_id, str(video)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    result = json.loads(out.stdout)
    assert result["status"] == ImportStatus.IMPORTED and result["kind"] == EvidenceKind.VIDEO
    assert result["sha256"] == digest.hexdigest()
    # Peak memory grew by far less than the file's 2 GB: it was streamed, not read whole.
    # (Measured as growth within the child, so the interpreter's own size does not count.)
    assert result["growth_kb"] < 512_000
    blob = vault_store.vault.blob_path(result["sha256"])
    assert blob.stat().st_size == size
    blob.unlink()  # free 2 GB of test disk at once
