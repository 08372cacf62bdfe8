"""The task runner: results typed, failures that are bugs always logged, one sentence per error."""

from __future__ import annotations

import errno
import logging
import threading

import pytest
from pytestqt.qtbot import QtBot

from fairdesk.errors import FairDeskError, ValidationError
from fairdesk.i18n import _, set_language
from ui.tasks import EarlyRead, explain, runner, set_synchronous


def _crash(_value: int) -> int:
    raise KeyError("action")  # a bug, not a message for the user


def _refuse(_value: int) -> int:
    raise ValidationError("The title is required.")


def test_a_bug_is_logged_with_its_traceback_even_when_the_widget_handles_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    shown: list[str] = []
    with caplog.at_level(logging.INFO, logger="ui.tasks"):
        runner().run(_crash, 1, on_error=lambda exc: shown.append(explain(exc)))
    assert shown == [
        "Something went wrong (KeyError); nothing already saved was lost. The details are in "
        "the log."
    ]
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "_crash" in record.getMessage() and record.exc_info is not None
    assert record.exc_info[0] is KeyError


def test_a_message_for_the_user_is_shown_not_logged_as_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    shown: list[str] = []
    with caplog.at_level(logging.INFO, logger="ui.tasks"):
        runner().run(_refuse, 1, on_error=lambda exc: shown.append(explain(exc)))
        runner().run(_refuse, 1)  # nobody handles it: still recorded, as a warning
    assert shown == ["The title is required."]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.levelno for r in caplog.records] == [logging.WARNING]


def test_results_arrive_typed() -> None:
    got: list[int] = []
    runner().run(lambda a, b: a + b, 2, 3, on_done=got.append, pool="read")
    assert got == [5]


def test_explain_gives_one_sentence_for_each_kind_of_failure() -> None:
    assert explain(FairDeskError("The case is closed.")) == "The case is closed."
    disk_full = OSError(errno.ENOSPC, "No space left on device")
    assert explain(disk_full) == (
        "The computer refused the operation (No space left on device); nothing already saved "
        "was lost."
    )
    assert "Traceback" not in explain(RuntimeError("boom")) and "boom" not in explain(
        RuntimeError("boom")
    )
    # What did not happen leads the sentence, unless the core's own words already say it.
    assert explain(KeyError("action"), "The fair was not saved.") == (
        "The fair was not saved. Something went wrong (KeyError); nothing already saved was "
        "lost. The details are in the log."
    )
    assert explain(FairDeskError("Name is required."), "The fair was not saved.") == (
        "Name is required."
    )


def test_explain_in_chinese_joins_the_sentences_without_a_space() -> None:
    set_language("zh_CN")
    try:
        text = explain(RuntimeError("boom"), _("The case was not saved."))
    finally:
        set_language("en")
    assert text.startswith("案件未保存。") and not text.startswith("案件未保存。 ")
    assert "RuntimeError" in text and "boom" not in text


def test_a_task_that_ends_after_its_relay_is_gone_says_so_in_the_log_and_does_not_raise(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """At quit, Qt deletes the relays while a worker may still be finishing a saved change."""
    import shiboken6

    from ui.tasks import _Job, _Relay

    gone = _Relay()
    shiboken6.delete(gone)
    with caplog.at_level(logging.DEBUG, logger="ui.tasks"):
        _Job(lambda: 42, gone).run()  # raised RuntimeError("Signal source has been deleted")
        _Job(lambda: _crash(1), gone).run()
    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert (logging.DEBUG, "task finished after the application quit") in messages
    assert (logging.WARNING, "task failed after the application quit") in messages


def test_an_early_read_answers_whoever_takes_it_before_or_after_it_arrived(qtbot: QtBot) -> None:
    """Issue 16: the window's first reads start before the pages that show them exist."""
    got: list[object] = []
    done = EarlyRead("key", lambda: [1, 2])  # the tests' runner answers inline: already there
    assert done.key == "key" and got == []
    done.take(got.append, got.append)
    assert got == [[1, 2]]

    failed = EarlyRead(None, _refuse, 1)
    failed.take(got.append, lambda exc: got.append(explain(exc)))
    assert got[-1] == "The title is required."

    # On the real pool, taken before the answer exists: it is handed over when it arrives.
    set_synchronous(False)
    release = threading.Event()

    def slow_read() -> str:
        release.wait(30)
        return "rows"

    late = EarlyRead(None, slow_read)
    try:
        late.take(got.append, got.append)
        assert got[-1] == "The title is required."  # nothing yet
    finally:
        release.set()
    qtbot.waitUntil(lambda: got[-1] == "rows", timeout=30000)
    runner().wait_idle()
    assert got.count("rows") == 1
