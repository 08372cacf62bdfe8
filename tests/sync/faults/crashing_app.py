"""Child process for the SIGKILL tests: real app code that the parent kills at random moments.

    python -m tests.sync.faults.crashing_app edit DATA_DIR CASE_ID   # add notes, print each id
    python -m tests.sync.faults.crashing_app sync DATA_DIR           # sync_once in a loop

``edit`` prints a note's id only after ``add_note`` returned (the user was told "saved").
``sync`` prints ``progress PHASE DONE TOTAL`` whenever the engine reports progress (a batch
pushed, a page pulled, upload bytes), so the parent can kill it in the middle of a phase on an
event rather than after a guessed delay.
"""

from __future__ import annotations

import sys

from fairdesk import cases
from fairdesk.store import open_store
from sync.client import engine
from sync.client.engine import Progress, sync_once


def _print_progress(progress: Progress) -> None:
    print(f"progress {progress.phase} {progress.done} {progress.total}", flush=True)


def main(argv: list[str]) -> int:
    mode, data_dir = argv[0], argv[1]
    store = open_store(data_dir, create=False)
    print("ready", flush=True)
    if mode == "edit":
        case_id = argv[2]
        for i in range(100_000):
            note_id = cases.add_note(store, case_id, f"typed at the booth #{i}")
            print(note_id, flush=True)
    else:
        engine.PROGRESS_HZ = float("inf")  # report every batch and page, not 10 a second
        while True:
            result = sync_once(store, on_progress=_print_progress)
            print("drained" if result.drained else f"stopped {result.error_kind}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
