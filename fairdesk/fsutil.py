"""Durable file writes shared by the core: the one fsync-the-folder and the one atomic replace.

Atomic replace = temp file in the same folder → write → fsync → rename over the target →
fsync the folder, so a crash leaves either the old file or the new one, never half of either.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def fsync_dir(path: Path) -> None:
    """Make a rename or new entry in ``path`` durable (not possible on Windows: skipped)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse; the rename itself still happened
        pass
    finally:
        os.close(fd)


def write_atomic(
    path: Path, content: bytes | Callable[[BinaryIO], None], *, mode: int = 0o644
) -> None:
    """Replace ``path`` atomically with ``content`` (bytes, or a function writing to the file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # os.urandom, not secrets.token_hex (the same bytes): secrets imports hmac, which loads
    # OpenSSL (~4 MB) at every start.
    temp = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
        with os.fdopen(fd, "wb") as out:
            if isinstance(content, bytes):
                out.write(content)
            else:
                content(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    fsync_dir(path.parent)
