"""Start-up of the installed (frozen) app against a frozen bare window: ``build/bench/frozen.json``.

Users start the PyInstaller build, not the source tree, so the start-up target (a usable window
with 10,000 cases in at most 1.5x a bare PySide6 window) is measured on it too:

* the app: ``dist/fairdesk/fairdesk`` from ``make installer`` (rebuilt first, so the figures are
  for the code in this tree; ``--reuse-build`` keeps an existing one);
* the baseline: ``tests/bench/bare_window.py`` (the same window bench_ui.py measures from
  source), built here with PyInstaller into ``build/bench/frozen-bare/`` and rebuilt when that
  file or PyInstaller or PySide6 changes.

Both open the 10,000-case data set of bench_ui.py. Each child is timed from its start to the
line that says it is usable: ``READY`` for the bare window; ``FAIRDESK_SMOKE ok`` for the app,
started with ``FAIRDESK_SMOKE_EXIT_MS=usable`` (Today and the first screen of Cases read and
painted, the moment bench_ui.py waits for). The same two programs also run from source, in
the same alternation, so frozen and source figures come from one run. Median of ``--runs``;
each child's CPU seconds are reported beside its wall time (a wall ratio far above the CPU
ratio marks a noisy run).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / "build" / "bench"
BARE_SOURCE = Path(__file__).with_name("bare_window.py")
BARE_BUILD = OUT_DIR / "frozen-bare"
APP_EXE = ROOT / "dist" / "fairdesk" / "fairdesk"
TIMEOUT_S = 120


def _bare_stamp() -> str:
    from importlib.metadata import version

    text = BARE_SOURCE.read_bytes() + version("pyinstaller").encode() + version("PySide6").encode()
    return hashlib.sha256(text).hexdigest()


def build_bare() -> Path:
    """The frozen bare window, built unless an up-to-date build is there."""
    exe = BARE_BUILD / "dist" / "bare_window" / "bare_window"
    stamp = BARE_BUILD / "stamp.txt"
    if exe.exists() and stamp.exists() and stamp.read_text() == _bare_stamp():
        return exe
    print("bench_frozen: building the frozen bare window (a few minutes)")
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--onedir", "--log-level", "WARN",
         "--distpath", str(BARE_BUILD / "dist"), "--workpath", str(BARE_BUILD / "work"),
         "--specpath", str(BARE_BUILD), str(BARE_SOURCE)],
        check=True, cwd=ROOT,
    )  # fmt: skip
    stamp.write_text(_bare_stamp())
    return exe


def build_app(reuse: bool) -> Path:
    if not (reuse and APP_EXE.exists()):
        print("bench_frozen: make installer (the app as users get it)")
        subprocess.run(["make", "installer"], check=True, cwd=ROOT)
    return APP_EXE


def _time_child(command: list[str], ready_prefix: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds from start to the line starting with ``ready_prefix``; CPU seconds of the
    whole child (exec to exit)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    assert proc.stdout is not None
    elapsed = None
    for line in proc.stdout:
        if elapsed is None and line.startswith(ready_prefix):
            elapsed = time.perf_counter() - started
    _pid, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if elapsed is None or code != 0:
        raise RuntimeError(f"{command[0]} never became usable (exit {code})")
    return elapsed, usage.ru_utime + usage.ru_stime


def measure(app: Path, bare: Path, data_dir: Path, runs: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(
            os.environ,
            HOME=tmp,
            XDG_CONFIG_HOME=tmp,
            QT_QPA_PLATFORM="offscreen",
            FAIRDESK_LANG="en",
            FAIRDESK_SMOKE_EXIT_MS="usable",
        )
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # from source, as installed: from bytecode
        children = {
            "bare_frozen": ([str(bare)], "READY"),
            "app_frozen": ([str(app), "--data-dir", str(data_dir)], "FAIRDESK_SMOKE ok"),
            "bare_source": ([sys.executable, str(BARE_SOURCE)], "READY"),
            "app_source": (
                # the console script pip installs beside this interpreter (ui.program)
                [str(Path(sys.executable).with_name("fairdesk")), "--data-dir", str(data_dir)],
                "FAIRDESK_SMOKE ok",
            ),
        }
        for command, ready in children.values():  # warm the file cache (and .pyc files)
            _time_child(command, ready, env)
        wall: dict[str, list[float]] = {name: [] for name in children}
        cpu: dict[str, list[float]] = {name: [] for name in children}
        for _ in range(runs):
            for name, (command, ready) in children.items():
                seconds, cpu_seconds = _time_child(command, ready, env)
                wall[name].append(seconds)
                cpu[name].append(cpu_seconds)
    w = {name: statistics.median(values) for name, values in wall.items()}
    c = {name: statistics.median(values) for name, values in cpu.items()}
    figures: dict[str, object] = {f"{name}_s": round(value, 3) for name, value in w.items()}
    figures.update({f"{name}_cpu_s": round(value, 3) for name, value in c.items()})
    figures.update(
        {
            "startup_ratio_frozen": round(w["app_frozen"] / w["bare_frozen"], 2),
            "startup_cpu_ratio_frozen": round(c["app_frozen"] / c["bare_frozen"], 2),
            "startup_ratio_source": round(w["app_source"] / w["bare_source"], 2),
            "startup_cpu_ratio_source": round(c["app_source"] / c["bare_source"], 2),
            "app_frozen_over_source": round(w["app_frozen"] / w["app_source"], 2),
            "bare_frozen_over_source": round(w["bare_frozen"] / w["bare_source"], 2),
            "startup_target_ratio": 1.5,
            "runs": runs,
            "wall_s_runs": {name: [round(v, 3) for v in values] for name, values in wall.items()},
        }
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--reuse-build", action="store_true", help="keep an existing dist/")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.bench.bench_ui import _dataset  # the 10,000-case data set, cached in build/bench/

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    data_dir = _dataset(10_000)
    app = build_app(args.reuse_build)
    bare = build_bare()
    results: dict[str, object] = {
        "machine_cpus": os.cpu_count(),
        "cases": 10_000,
        "load_average_1min_at_start": round(os.getloadavg()[0], 2),
    }
    results.update(measure(app, bare, data_dir, args.runs))
    (OUT_DIR / "frozen.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
