"""Crash reports: written on uncaught errors (main and worker threads, native crashes), without case content."""

from __future__ import annotations

import logging
import subprocess
import sys
import tempfile
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from fairdesk import __version__, crashreport

SECRET = "Geheimer Mandant 秘密客户"


@pytest.fixture
def notices(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    # The hooks chain to the ones found at install; pytest-qt's would fail the test on the
    # very errors these tests raise on purpose, so quiet ones stand in for them.
    monkeypatch.setattr(sys, "excepthook", lambda *args: None)
    monkeypatch.setattr(threading, "excepthook", lambda args: None)
    seen: list[Path] = []
    yield seen
    crashreport.uninstall()


def _raise_and_hook(exc: BaseException) -> None:
    try:
        raise exc
    except BaseException:
        sys.excepthook(*sys.exc_info())


def _record_case(title: str) -> None:
    raise ValueError(f"could not save case '{title}'")


def test_uncaught_error_writes_a_report_and_tells_the_user(
    data_dir: Path, notices: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    previous: list[type[BaseException]] = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, exc, tb: previous.append(kind))
    reporter = crashreport.install(data_dir, notify=notices.append, native=False)
    logging.getLogger("fairdesk.test").warning("importing %s failed", SECRET)

    try:
        _record_case(SECRET)
    except ValueError:
        sys.excepthook(*sys.exc_info())

    assert len(notices) == 1 and notices == reporter.written
    report = notices[0]
    assert report.parent == data_dir / "logs" and report.name.startswith("crash-")
    body = report.read_text(encoding="utf-8")
    assert f"Version:    {__version__}" in body
    assert "Platform:" in body and "Python:" in body
    assert "_record_case" in body and "ValueError: could not save case" in body
    assert "importing %s failed" in body  # the log template is kept...
    assert SECRET not in body and "秘密" not in body  # ...but no case content anywhere
    assert previous == [ValueError]  # the earlier hook still runs (stderr traceback)


def test_sql_parameters_never_reach_the_report(data_dir: Path, notices: list[Path]) -> None:
    crashreport.install(data_dir, notify=notices.append, native=False)
    engine = create_engine(f"sqlite:///{data_dir.parent / 'probe.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (title TEXT UNIQUE)"))
        connection.execute(text("INSERT INTO t VALUES (:title)"), {"title": SECRET})
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (:title)"), {"title": SECRET})
    except IntegrityError as exc:
        assert SECRET in str(exc)  # SQLAlchemy does put it in the message
        _raise_and_hook(exc)
    finally:
        engine.dispose()
    body = notices[0].read_text(encoding="utf-8")
    assert "IntegrityError" in body and "UNIQUE constraint failed" in body
    assert SECRET not in body and "[parameters: …]" in body


def test_scrub_hides_quoted_text_and_shortens() -> None:
    assert crashreport.scrub("no such case: 'Pump HP-40'") == "no such case: '…'"
    assert crashreport.scrub("title “秘密” rejected") == "title '…' rejected"
    assert len(crashreport.scrub("x" * 5000)) < 400


def test_worker_thread_error_is_reported_with_the_thread_name(
    data_dir: Path, notices: list[Path]
) -> None:
    crashreport.install(data_dir, notify=notices.append, native=False)

    def work() -> None:
        raise RuntimeError("sync worker broke")

    worker = threading.Thread(target=work, name="sync-worker")
    worker.start()
    worker.join()
    assert len(notices) == 1
    body = notices[0].read_text(encoding="utf-8")
    assert "Thread:     sync-worker" in body and "RuntimeError: sync worker broke" in body


def test_a_repeating_error_writes_one_report(data_dir: Path, notices: list[Path]) -> None:
    crashreport.install(data_dir, notify=notices.append, native=False)
    for _ in range(5):
        _raise_and_hook(RuntimeError("paint failed"))  # same place every time
    assert len(notices) == 1
    assert len(list((data_dir / "logs").glob("crash-*.txt"))) == 1


def test_keyboard_interrupt_is_not_a_crash(data_dir: Path, notices: list[Path]) -> None:
    crashreport.install(data_dir, notify=notices.append, native=False)
    _raise_and_hook(KeyboardInterrupt())
    assert notices == []


def test_unwritable_logs_folder_falls_back_to_the_temp_folder(
    data_dir: Path, notices: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir.mkdir()
    (data_dir / "logs").write_text("a file where the logs folder should be")
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    crashreport.install(data_dir, notify=notices.append, native=False)
    _raise_and_hook(RuntimeError("boom"))
    assert len(notices) == 1
    assert notices[0].parent == tmp_path / "tmp" / "FairDesk-crash-reports"
    assert "RuntimeError: boom" in notices[0].read_text(encoding="utf-8")


def test_uninstall_restores_the_hooks_and_logging(data_dir: Path, notices: list[Path]) -> None:
    before = (sys.excepthook, threading.excepthook, logging.getLogger().level)
    handlers = list(logging.getLogger().handlers)
    crashreport.install(data_dir, native=False)
    assert sys.excepthook != before[0]
    crashreport.uninstall()
    assert (sys.excepthook, threading.excepthook, logging.getLogger().level) == before
    assert logging.getLogger().handlers == handlers


def test_native_crash_is_turned_into_a_report_at_the_next_start(
    data_dir: Path, notices: list[Path]
) -> None:
    # A real segmentation fault in a child process with the hooks installed.
    code = textwrap.dedent(
        f"""
        import ctypes, sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
        from fairdesk import crashreport
        crashreport.install({str(data_dir)!r})
        ctypes.string_at(0)
        """
    )
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert child.returncode != 0
    assert (data_dir / "logs" / crashreport.NATIVE_FILE).stat().st_size > 0

    reporter = crashreport.install(data_dir, notify=notices.append)
    assert reporter.recovered is not None
    body = reporter.recovered.read_text(encoding="utf-8")
    assert "native code" in body and "Segmentation fault" in body and "string_at" in body
    crashreport.uninstall()
    # This run ended cleanly: its empty native-crash file is gone again.
    assert not (data_dir / "logs" / crashreport.NATIVE_FILE).exists()
