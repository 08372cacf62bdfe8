"""Crash reports: an unexpected error writes a file the user can send to support later.

:func:`install` hooks ``sys.excepthook`` and ``threading.excepthook``; an uncaught exception
writes ``<data_dir>/logs/crash-<UTC time>.txt`` (time, version, platform, traceback, the last
log lines) and then tells the user where it is (a callback: the UI shows a dialog, the
default prints to stderr). Nothing is sent anywhere. Hard crashes inside native code (Qt,
SQLite) cannot run Python, so :mod:`faulthandler` writes them to ``logs/native-crash.txt``;
the next start turns a non-empty one into a ``crash-...-native.txt`` report.

No case content goes into a report: exception messages are shortened, text in quotes and SQL
parameters are replaced by ``…``, and log lines keep only the message template, never its
arguments (``log.warning("import of %s failed", name)`` is recorded without ``name``).
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import faulthandler
import logging
import re
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from fairdesk import about
from fairdesk.i18n import _

LOG_LINES = 200
MAX_REPORTS = 10  # per run: an error repeating in a loop must not fill the disk
MAX_MESSAGE = 300
NATIVE_FILE = "native-crash.txt"

Notify = Callable[[Path], None]
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]

# Patterns, not compiled objects: the reporter is installed before the first paint of every
# start and scrubs only when it writes a report (``re`` compiles and caches them then).
_QUOTED = r"'[^'\n]*'|\"[^\"\n]*\"|‘[^’\n]*’|“[^”\n]*”|「[^」\n]*」"
_SQL_PARAMETERS = r"\[parameters: .*?\](?=\s*(\(|\[|$))"


def scrub(message: str) -> str:
    """An exception message without what might be the user's content."""
    text = re.sub(_SQL_PARAMETERS, "[parameters: …]", message, flags=re.DOTALL)
    text = re.sub(_QUOTED, "'…'", text)
    if len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE] + " […]"
    return text


def format_exception(exc: BaseException) -> str:
    """The traceback of ``exc`` and its causes, oldest first, with scrubbed messages."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    parts = []
    for index, item in enumerate(reversed(chain)):
        if index:
            parts.append("\nDuring handling of the above exception, another exception occurred:\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(item.__traceback__))
        kind = type(item)
        name = (
            kind.__qualname__
            if kind.__module__ == "builtins"
            else f"{kind.__module__}.{kind.__qualname__}"
        )
        message = scrub(str(item))
        parts.append(f"{name}: {message}\n" if message else f"{name}\n")
    return "".join(parts)


class RecentLog(logging.Handler):
    """Keeps the last log records in memory, as lines without their arguments."""

    def __init__(self, capacity: int = LOG_LINES) -> None:
        super().__init__(logging.INFO)
        self.lines: collections.deque[str] = collections.deque(maxlen=capacity)

    def emit(self, record: logging.LogRecord) -> None:
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        template = record.msg if isinstance(record.msg, str) else type(record.msg).__name__
        line = f"{stamp} {record.levelname} {record.name}: {template}"
        if record.exc_info and record.exc_info[0] is not None:
            line += f" [{record.exc_info[0].__name__}]"
        self.lines.append(line)


@dataclass
class CrashReporter:
    """The installed hooks of one run and the reports they wrote."""

    logs_dir: Path
    notify: Notify
    recent: RecentLog = field(default_factory=RecentLog)
    written: list[Path] = field(default_factory=list)
    recovered: Path | None = None  # a native crash of the previous run, turned into a report
    started: float = field(default_factory=time.monotonic)
    _signatures: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _previous_hook: Callable[..., Any] = sys.excepthook
    _previous_thread_hook: Callable[..., Any] = threading.excepthook
    _native_file: IO[str] | None = None
    _fault_was_enabled: bool = False
    _stderr_handler: logging.Handler | None = None
    _root_level: int = logging.WARNING

    def close_native(self) -> None:
        """Stop the native-crash file; a clean run leaves no empty file behind."""
        handle, self._native_file = self._native_file, None
        if handle is None:
            return
        faulthandler.disable()
        if self._fault_was_enabled and sys.__stderr__ is not None:
            faulthandler.enable(sys.__stderr__)
        handle.close()
        with contextlib.suppress(OSError):
            native = Path(handle.name)
            if native.stat().st_size == 0:
                native.unlink()

    def _target(self) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        candidate = self.logs_dir / f"crash-{stamp}.txt"
        counter = 2
        while candidate.exists():
            candidate = self.logs_dir / f"crash-{stamp}-{counter}.txt"
            counter += 1
        return candidate

    def report_text(self, exc: BaseException, thread_name: str) -> str:
        info = about.build_info()
        lines = [
            "FairDesk crash report",
            "=====================",
            f"Time (UTC): {datetime.now(UTC).isoformat(timespec='seconds')}",
            f"Version:    {info['version']}",
            f"Platform:   {info['platform']} ({info['machine']})",
            f"Python:     {info['python']}",
            f"Installed:  {'installer build' if info['frozen'] == 'yes' else 'from source'}",
            f"Thread:     {thread_name}",
            f"Running for {time.monotonic() - self.started:.0f} s",
            "",
            "No case content is included: quoted text and SQL parameters are replaced by '…'",
            "and log lines keep only their message templates.",
            "",
            "Traceback",
            "---------",
            format_exception(exc).rstrip(),
            "",
            f"Last log lines (up to {LOG_LINES})",
            "--------------",
            *(self.recent.lines or ["(none)"]),
            "",
        ]
        return "\n".join(lines)

    def write(self, exc: BaseException, thread_name: str = "MainThread") -> Path | None:
        """Write a report for ``exc``; None when it repeats an earlier one or the limit is hit."""
        tb = traceback.extract_tb(exc.__traceback__)
        last = tb[-1] if tb else None
        signature = (
            f"{type(exc).__qualname__}@{last.filename}:{last.lineno}"
            if last
            else type(exc).__qualname__
        )
        with self._lock:
            if signature in self._signatures or len(self.written) >= MAX_REPORTS:
                return None
            self._signatures.add(signature)
            text = self.report_text(exc, thread_name)
            for folder in (self.logs_dir, Path(_fallback_dir())):
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                    self.logs_dir = folder
                    path = self._target()
                    path.write_text(text, encoding="utf-8")
                except OSError:
                    continue  # data folder read-only or full: try the temp folder
                self.written.append(path)
                return path
        return None

    def _handle(self, exc: BaseException, thread_name: str) -> None:
        try:
            path = self.write(exc, thread_name)
            if path is not None:
                self.notify(path)
        except Exception:  # the crash handler itself must never crash the app
            logging.getLogger(__name__).exception("writing the crash report failed")

    def excepthook(
        self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if not issubclass(kind, KeyboardInterrupt):
            if exc.__traceback__ is None and tb is not None:
                exc = exc.with_traceback(tb)
            self._handle(exc, threading.current_thread().name)
        self._previous_hook(kind, exc, tb)

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None and not issubclass(args.exc_type, SystemExit):
            name = args.thread.name if args.thread is not None else "thread"
            self._handle(args.exc_value, name)
        self._previous_thread_hook(args)


def _fallback_dir() -> str:
    return str(Path(tempfile.gettempdir()) / "FairDesk-crash-reports")


def print_notice(path: Path) -> None:
    """The default way to tell the user: one sentence on stderr."""
    print(message_for(path), file=sys.stderr)


def message_for(path: Path) -> str:
    return _(
        "FairDesk ran into an unexpected problem. A report was saved to {path}; it contains "
        "no case content. Please send it to your support contact. Everything you saved "
        "before is kept."
    ).format(path=path)


_installed: CrashReporter | None = None


def _recover_native(logs_dir: Path) -> Path | None:
    native = logs_dir / NATIVE_FILE
    try:
        if native.stat().st_size == 0:
            return None
    except OSError:
        return None
    stamp = datetime.fromtimestamp(native.stat().st_mtime, UTC).strftime("%Y%m%dT%H%M%SZ")
    target = logs_dir / f"crash-{stamp}-native.txt"
    header = (
        "FairDesk crash report (native code)\n"
        f"Version of this start: {about.version()}\n"
        "The previous run stopped inside native code (Qt, SQLite or an image library);\n"
        "the Python stack of each thread at that moment follows.\n\n"
    )
    try:
        target.write_text(header + native.read_text(encoding="utf-8", errors="replace"))
        native.unlink()
    except OSError:
        return None
    return target


def install(
    data_dir: Path | str, *, notify: Notify | None = None, native: bool = True
) -> CrashReporter:
    """Start writing crash reports into ``data_dir/logs``; returns the active reporter.

    Calling it again replaces the earlier installation (e.g. another data folder).
    """
    global _installed
    if _installed is not None:
        uninstall()
    logs_dir = Path(data_dir).expanduser() / "logs"
    reporter = CrashReporter(logs_dir, notify or print_notice)
    reporter._previous_hook = sys.excepthook
    reporter._previous_thread_hook = threading.excepthook
    root = logging.getLogger()
    reporter._root_level = root.level
    if not root.handlers:
        # Our handler would otherwise silence Python's last-resort stderr output of warnings.
        reporter._stderr_handler = logging.StreamHandler()
        reporter._stderr_handler.setLevel(logging.WARNING)
        root.addHandler(reporter._stderr_handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    root.addHandler(reporter.recent)
    sys.excepthook = reporter.excepthook
    threading.excepthook = reporter.thread_excepthook
    if native:
        with contextlib.suppress(OSError):
            logs_dir.mkdir(parents=True, exist_ok=True)
            reporter.recovered = _recover_native(logs_dir)
            reporter._fault_was_enabled = faulthandler.is_enabled()
            # Open for the whole run: faulthandler writes to it from a signal handler.
            reporter._native_file = open(logs_dir / NATIVE_FILE, "a", encoding="utf-8")  # noqa: SIM115
            faulthandler.enable(reporter._native_file, all_threads=True)
            atexit.register(reporter.close_native)
    _installed = reporter
    return reporter


def uninstall() -> None:
    """Restore the hooks that were there before :func:`install` (tests, data folder change)."""
    global _installed
    reporter = _installed
    if reporter is None:
        return
    _installed = None
    # Only undo our own hooks: someone may have installed theirs on top since.
    if sys.excepthook == reporter.excepthook:
        sys.excepthook = reporter._previous_hook
    if threading.excepthook == reporter.thread_excepthook:
        threading.excepthook = reporter._previous_thread_hook
    root = logging.getLogger()
    root.removeHandler(reporter.recent)
    if reporter._stderr_handler is not None:
        root.removeHandler(reporter._stderr_handler)
    root.setLevel(reporter._root_level)
    reporter.close_native()
    atexit.unregister(reporter.close_native)


def current() -> CrashReporter | None:
    return _installed
