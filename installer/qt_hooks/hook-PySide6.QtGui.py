# FairDesk override of PyInstaller's hook: the same collection, filtered by qt_filter.py.
import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "qt_filter", Path(__file__).with_name("qt_filter.py")
)
assert _spec is not None and _spec.loader is not None
_filter = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_filter)
hiddenimports, binaries, datas = _filter.collect(__file__)
