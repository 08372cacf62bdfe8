"""The per-device inbox: a folder FairDesk watches (a phone's sync folder, a card reader).

``new_files`` lists files in it whose bytes are not yet evidence in any case, so the app can
offer them for a case. Hashes are cached by (path, size, mtime) so listing stays cheap.
The folder defaults to ``<data>/inbox``; the user may point it elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from fairdesk.evidence.importer import SYSTEM_FILES
from fairdesk.evidence.models import EvidenceItem, InboxFile
from fairdesk.store import Store
from fairdesk.vault import CHUNK

SETTINGS_NAME = "evidence-inbox.json"


@dataclass(frozen=True)
class InboxEntry:
    path: Path
    name: str
    size: int
    modified_at: datetime
    sha256: str


def inbox_folder(store: Store) -> Path:
    settings = store.data_dir / SETTINGS_NAME
    try:
        folder = Path(json.loads(settings.read_text(encoding="utf-8"))["folder"])
    except (OSError, ValueError, KeyError, TypeError):
        folder = store.data_dir / "inbox"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def set_inbox_folder(store: Store, folder: Path) -> None:
    settings = store.data_dir / SETTINGS_NAME
    temp = settings.with_suffix(".tmp")
    temp.write_text(json.dumps({"folder": str(Path(folder).resolve())}), encoding="utf-8")
    os.replace(temp, settings)


def _hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def new_files(store: Store) -> list[InboxEntry]:
    """Files in the inbox whose content is not yet evidence anywhere on this device."""
    folder = inbox_folder(store)
    found: list[tuple[Path, os.stat_result]] = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            if name.lower() in SYSTEM_FILES or name.startswith((".", "~")):
                continue
            path = Path(root) / name
            try:
                info = path.stat()
            except OSError:
                continue
            if info.st_size > 0:
                found.append((path, info))
    entries: list[InboxEntry] = []
    with store.write() as session:
        known = set(session.scalars(select(EvidenceItem.sha256)))
        cache = {row.path: row for row in session.scalars(select(InboxFile))}
        for path, info in found:
            key = str(path)
            row = cache.get(key)
            if row is None or row.size != info.st_size or row.mtime_ns != info.st_mtime_ns:
                try:
                    sha = _hash(path)
                except OSError:
                    continue
                if row is None:
                    row = InboxFile(
                        path=key, size=info.st_size, mtime_ns=info.st_mtime_ns, sha256=sha
                    )
                    session.add(row)
                else:
                    row.size, row.mtime_ns, row.sha256 = info.st_size, info.st_mtime_ns, sha
            if row.sha256 not in known:
                entries.append(
                    InboxEntry(
                        path,
                        path.name,
                        info.st_size,
                        datetime.fromtimestamp(info.st_mtime, UTC),
                        row.sha256,
                    )
                )
    return entries
