"""The desktop app (PySide6): ``ui.app`` starts it.

``install_pyside_scan`` spares PySide6 from reading the source text of modules whose answer is
known. The package does not import Qt itself (the ``fairdesk`` program, ``ui.program``,
imports it for every command, and commands never load Qt): it installs the answer at once
when PySide6 is already loaded, else at the first import after PySide6 has loaded, whichever
module loads it.

Once PySide6 is loaded, the first import of every module after it makes PySide6 read
that module's whole source file: ``shibokensupport.feature._mod_uses_pyside`` looks for the
text "PySide6" in it to decide whether its ``__feature__`` switches (snake_case,
true_property) may apply there. Before the main window appeared that was ~110 files (typing,
inspect, dataclasses, pathlib, the core, the UI), 27-58 ms of a start-up on a loaded 2-core
machine, where the bare window the start-up is measured against reads none (issue 16).

For three groups the answer needs no reading: the standard library and the core
(``fairdesk``, which import-linter keeps free of Qt) never use PySide6's features, and ``ui``
modules use PySide6 without selecting a feature (none of them imports ``__feature__``; a test
checks). The check is answered for those and left to PySide6 for everything else. If a
PySide6 release no longer has this function, nothing is changed.
"""

# Only ``sys`` (built in, nothing to read) before the check is answered: when PySide6 is already
# loaded, every import statement here would make it read one more file.
import sys

_FEATURE_MODULE = "shibokensupport.feature"
_CHECK = "_mod_uses_pyside"


def _known_answer(name: str) -> bool | None:
    top = name.partition(".")[0]
    if top == "ui":
        return True
    if top == "fairdesk" or top in sys.stdlib_module_names:
        return False
    return None


def install_pyside_scan() -> bool:
    """Answer PySide6's per-module source check from the module's name where it can; True if
    the check was found and wrapped (idempotent)."""
    feature = sys.modules.get(_FEATURE_MODULE)
    read_source = getattr(feature, _CHECK, None)
    if feature is None or not callable(read_source):
        return False
    if getattr(read_source, "_fairdesk_wrapped", False):
        return True

    def uses_pyside(module: object) -> bool:
        known = _known_answer(str(getattr(module, "__name__", "")))
        return bool(read_source(module)) if known is None else known

    uses_pyside._fairdesk_wrapped = True  # type: ignore[attr-defined]
    setattr(feature, _CHECK, uses_pyside)
    return True


class _InstallOnceQtLoads:
    """First on ``sys.meta_path``; finds nothing. The first import it is asked about once
    PySide6's feature module has its check installs the answer. It stays in the list (import
    machinery walks the live list: removing itself would skip the next finder for that one
    import); afterwards each call is one attribute test."""

    installed = False

    @classmethod
    def find_spec(cls, name: str, path: object = None, target: object = None) -> None:
        if not cls.installed and _FEATURE_MODULE in sys.modules:
            # The feature module's own imports pass through here while it is still loading,
            # before its check exists: try again at each import until it is there. (A PySide6
            # without the check costs one lookup per import.)
            cls.installed = install_pyside_scan()


if not install_pyside_scan():  # PySide6 not loaded yet (the program, a command)
    sys.meta_path.insert(0, _InstallOnceQtLoads)
