"""Where a passphrase comes from: a file (``--passphrase-file`` / ``FAIRDESK_PASSPHRASE_FILE``),
the OS keychain, or a prompt. Never a command-line argument (it would show in ``ps`` and shell
history).
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from fairdesk.crypto import keys
from fairdesk.i18n import _

ENV_VAR = "FAIRDESK_PASSPHRASE_FILE"


def read_passphrase_file(path: str | os.PathLike[str]) -> str:
    """The file's text without its final line break (spaces inside are part of the passphrase)."""
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise keys.ProtectError(
            _("The passphrase file {path} cannot be read ({error}).").format(
                path=path, error=getattr(exc, "strerror", None) or exc
            )
        ) from exc
    if text.endswith("\n"):
        text = text[:-1]
    if text.endswith("\r"):
        text = text[:-1]
    if not text:
        raise keys.ProtectError(_("The passphrase file {path} is empty.").format(path=path))
    return text


def passphrase_file(option: str | None) -> str | None:
    return option or os.environ.get(ENV_VAR) or None


def data_key_for_folder(
    data_dir: Path, option: str | None = None, *, prompt: bool = False
) -> bytes | None:
    """The data key of an encrypted folder (None for a plain one), from the first source that has it."""
    if not keys.is_encrypted(data_dir):
        return None
    source = passphrase_file(option)
    if source:
        return keys.unlock_with_passphrase(data_dir, read_passphrase_file(source))
    cached = keys.keychain_load(data_dir)
    if cached is not None:
        return cached
    if prompt and sys.stdin.isatty():
        return keys.unlock_with_passphrase(
            data_dir, getpass.getpass(_("Passphrase for {path}: ").format(path=data_dir))
        )
    raise keys.ProtectError(
        _(
            "The data in {path} is encrypted: give the passphrase with --passphrase-file FILE "
            "or the FAIRDESK_PASSPHRASE_FILE variable."
        ).format(path=data_dir)
    )
