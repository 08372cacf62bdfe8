"""Protection in the desktop app: first-run set-up, unlock at start, app lock, Security page.

``ui/app.py`` needs two calls (the Security page is listed in ``ui.features``)::

    data_key = ui.protect.unlock_or_setup(data_dir)      # before open_store; None = plain
    if data_key is ui.protect.CANCELLED: return 0
    store = open_store(data_dir, data_key=data_key)
    ...
    ui.protect.install(app, store)                        # after the window is shown
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

from PySide6.QtWidgets import QApplication, QDialog, QWidget

from fairdesk.crypto import keys
from fairdesk.store import DB_NAME, Store

if TYPE_CHECKING:
    from ui.protect.lock import LockController

CANCELLED: Final = b""  # the user closed the unlock dialog: quit without opening anything
_controller: LockController | None = None


def unlock_or_setup(data_dir: Path, parent: QWidget | None = None) -> bytes | None:
    """The data key for ``open_store``: unlock an encrypted folder (keychain first), or offer
    to protect a plain/new one. Returns None for a folder the user keeps unencrypted."""
    # Imported here, not at registration: a plain folder never needs the dialogs at start-up.
    from ui.protect.dialogs import RecoveryKeyDialog, SetupDialog, UnlockDialog

    data_dir = Path(data_dir)
    if keys.is_encrypted(data_dir):
        cached = keys.keychain_load(data_dir)
        if cached is not None:
            return cached
        dialog = UnlockDialog(data_dir, parent)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.data_key is None:
            return CANCELLED
        return dialog.data_key
    setup = SetupDialog(data_dir, existing=(data_dir / DB_NAME).exists(), parent=parent)
    if setup.exec() != QDialog.DialogCode.Accepted or setup.result_key is None:
        return None  # "Not now": stays unencrypted (the Security page offers it again)
    RecoveryKeyDialog(setup.recovery_key, parent).exec()
    keys.keychain_store(data_dir, setup.result_key)
    return setup.result_key


def install(app: QApplication, store: Store) -> LockController | None:
    """Idle lock and Ctrl+L for an encrypted store (a plain one has nothing to lock)."""
    global _controller
    if store.data_key is None:
        return None
    from ui.protect.lock import LockController

    _controller = LockController(app, store.data_dir)
    return _controller


def uninstall() -> None:
    """Stop watching for idle time (the store was closed)."""
    global _controller
    if _controller is not None:
        _controller.timer.stop()
        QApplication.instance().removeEventFilter(_controller)  # type: ignore[union-attr]
        _controller.deleteLater()
        _controller = None


def lock_now() -> None:
    if _controller is not None:
        _controller.lock()
