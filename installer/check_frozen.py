"""Check the frozen one-folder build (dist/fairdesk) the way a responder would use it, offscreen.

    .venv/bin/python installer/check_frozen.py [--exe dist/fairdesk/fairdesk] [--runs 3]

With a throwaway data folder (and a throwaway HOME, so settings go there too):
  1. ``demo`` loads the demo data and exits 0;
  2. ``case list --json`` lists those cases;
  3. ``doc render CASE --kind panel_response --lang zh`` (on the demo's Canton Fair complaint
     against us, the situation that kind answers) makes a Chinese PDF whose fonts are
     embedded Noto Sans SC and whose text is Chinese (fonts and templates are bundled);
     skipped with a note if this build has no ``doc render`` command;
  4. the app opens its main window and exits 0 once Today and Cases show their rows
     (``FAIRDESK_SMOKE_EXIT_MS=usable``, see ui/startup.py);
  5. nothing was written into the program folder, every bundled library's licence
     metadata is there (the About dialog reads it), and pkg_resources is not bundled (its
     PyInstaller runtime hook would import it at every start: ~65 ms).
Then it measures start-up, frozen against source in the same run (median of ``--runs``), and
writes build/bench/installer.json with the package sizes. Exit code 0 when all checks pass.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fairdesk import __version__  # noqa: E402
from fairdesk.about import LIBRARIES  # noqa: E402

TIMEOUT = 180
WINDOW_TIMEOUT = 90  # an app that ignores the smoke variable would otherwise run forever
CJK = re.compile(r"[\u4e00-\u9fff]")


class CheckFailed(Exception):
    pass


def folder_bytes(path: Path) -> int:
    """Size on disk of the files (symbolic links count as nothing, as in the tarball)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.lstat().st_size, p.lstat().st_mtime_ns)
        for p in folder.rglob("*")
    }


class Runner:
    def __init__(self, exe: Path, home: Path) -> None:
        self.exe = exe
        self.env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "LANG": "C.UTF-8",
        }
        self.env.pop("FAIRDESK_DATA_DIR", None)
        self.env.pop("FAIRDESK_SMOKE_EXIT_MS", None)

    def run(
        self,
        command: Sequence[str],
        *,
        extra_env: dict[str, str] | None = None,
        timeout: float = TIMEOUT,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(command),
            env={**self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def fairdesk(
        self, *args: str, extra_env: dict[str, str] | None = None, timeout: float = TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        return self.run([str(self.exe), *args], extra_env=extra_env, timeout=timeout)


def expect_ok(result: subprocess.CompletedProcess[str], what: str) -> None:
    if result.returncode != 0:
        raise CheckFailed(
            f"{what}: exit code {result.returncode}\n--- stdout\n{result.stdout[-3000:]}"
            f"\n--- stderr\n{result.stderr[-3000:]}"
        )


def check_demo(run: Runner, data: Path) -> None:
    expect_ok(run.fairdesk("--data-dir", str(data), "demo"), "demo")
    if not (data / "fairdesk.sqlite3").exists():
        raise CheckFailed("demo: no database in the data folder")


def check_case_list(run: Runner, data: Path) -> list[dict[str, object]]:
    result = run.fairdesk("--data-dir", str(data), "case", "list", "--json")
    expect_ok(result, "case list --json")
    try:
        rows = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        raise CheckFailed(f"case list --json: not JSON ({exc}): {result.stdout[:300]}") from exc
    if not isinstance(rows, list) or len(rows) < 10 or not all("id" in r for r in rows):
        raise CheckFailed(f"case list --json: expected the demo cases, got {result.stdout[:300]}")
    return rows


def check_render(run: Runner, data: Path, case_id: str, out: Path) -> str:
    help_text = run.fairdesk("doc", "--help")
    if help_text.returncode != 0 or "render" not in help_text.stdout:
        return "skipped: this build has no `doc render` command"
    result = run.fairdesk(
        "--data-dir", str(data), "doc", "render", case_id,
        "--kind", "panel_response", "--lang", "zh", "--out", str(out), "--allow-blanks",
    )  # fmt: skip
    expect_ok(result, "doc render")
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True)
    font_rows = [line.split() for line in fonts.stdout.splitlines()[2:] if line.strip()]
    noto = [row for row in font_rows if "NotoSansSC" in row[0]]
    if not noto or any(row[-5] != "yes" for row in noto):
        raise CheckFailed(f"doc render: Noto Sans SC not embedded:\n{fonts.stdout}")
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    chinese = len(CJK.findall(text))
    if chinese < 20:
        raise CheckFailed(f"doc render: only {chinese} Chinese characters in the PDF text")
    return f"ok: {len(noto)} Noto Sans SC font(s) embedded, {chinese} Chinese characters"


def check_window(run: Runner, data: Path) -> str:
    result = run.fairdesk(
        "--data-dir",
        str(data),
        extra_env={"FAIRDESK_SMOKE_EXIT_MS": "usable"},
        timeout=WINDOW_TIMEOUT,
    )
    expect_ok(result, "main window smoke test")
    lines = [line for line in result.stdout.splitlines() if line.startswith("FAIRDESK_SMOKE ok")]
    if not lines:
        raise CheckFailed(f"main window: no FAIRDESK_SMOKE line in\n{result.stdout[-2000:]}")
    shown = dict(part.split("=", 1) for part in lines[0].split() if "=" in part)
    if int(shown.get("case_rows", "0")) == 0 or int(shown.get("today_rows", "0")) == 0:
        raise CheckFailed(f"main window: the demo's cases or deadlines are not listed: {lines[0]}")
    return lines[0]


# Bundled, pkg_resources brings PyInstaller's runtime hook that imports it before the app's
# first line, at every start (~65 ms; installer/fairdesk.spec excludes it).
SLOW_AT_EVERY_START = ("pkg_resources",)


def check_nothing_slow_bundled(app_dir: Path) -> None:
    found = [name for name in SLOW_AT_EVERY_START if (app_dir / "_internal" / name).exists()]
    if found:
        raise CheckFailed(f"bundled, and loaded at every start: {found} (exclude in the spec)")


def check_metadata(app_dir: Path) -> int:
    internal = app_dir / "_internal"
    missing = []
    found = 0
    for name in LIBRARIES:
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # not on this platform
        folders = {f.parts[0] for f in dist.files or () if f.parts[0].endswith(".dist-info")}
        folder = next(iter(folders), name)
        if (internal / folder).is_dir():
            found += 1
        else:
            missing.append(folder)
    if missing:
        raise CheckFailed(f"licence metadata missing from the build: {missing}")
    return found


def median_seconds(command: Sequence[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(list(command), env=env, capture_output=True, timeout=WINDOW_TIMEOUT)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            raise CheckFailed(f"timing run failed: {' '.join(command)}\n{result.stderr[-2000:]!r}")
    return statistics.median(times)


def measure(run: Runner, data: Path, runs: int) -> dict[str, float]:
    # The same program from source: the console script pip installs beside this interpreter.
    source = [str(Path(sys.executable).with_name("fairdesk"))]
    window_env = {**run.env, "FAIRDESK_SMOKE_EXIT_MS": "usable"}
    cli = ["--data-dir", str(data), "case", "list", "--json"]
    gui = ["--data-dir", str(data)]
    figures = {
        "cli_source_s": median_seconds([*source, *cli], run.env, runs),
        "cli_frozen_s": median_seconds([str(run.exe), *cli], run.env, runs),
        "window_source_s": median_seconds([*source, *gui], window_env, runs),
        "window_frozen_s": median_seconds([str(run.exe), *gui], window_env, runs),
    }
    figures["cli_frozen_over_source"] = figures["cli_frozen_s"] / figures["cli_source_s"]
    figures["window_frozen_over_source"] = figures["window_frozen_s"] / figures["window_source_s"]
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--exe", type=Path, default=ROOT / "dist" / "fairdesk" / "fairdesk")
    parser.add_argument("--runs", type=int, default=3, help="timing runs per figure")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench" / "installer.json")
    args = parser.parse_args(argv)
    exe: Path = args.exe.resolve()
    if not exe.exists():
        print(f"{exe} does not exist: run `make installer` first.", file=sys.stderr)
        return 2
    app_dir = exe.parent
    for tool in ("pdffonts", "pdftotext"):
        if shutil.which(tool) is None:
            print(f"{tool} is missing: sh installer/linux/system-deps.sh --test", file=sys.stderr)
            return 2

    report: dict[str, object] = {"version": __version__, "exe": str(exe)}
    with tempfile.TemporaryDirectory(prefix="fairdesk-frozen-") as tmp:
        base = Path(tmp)
        (base / "home").mkdir()
        data = base / "data"
        run = Runner(exe, base / "home")
        before = snapshot(app_dir)
        try:
            check_demo(run, data)
            print("1 demo data: ok")
            rows = check_case_list(run, data)
            print(f"2 case list --json: ok ({len(rows)} cases)")
            # The statement in reply fits a complaint at the fair's IP desk against us only.
            desk = next(
                r
                for r in rows
                if r["trigger"] in ("panel_summons", "complaint") and r["direction"] == "against_us"
            )
            rendered = check_render(run, data, str(desk["id"]), base / "response-zh.pdf")
            print(f"3 Chinese PDF: {rendered}")
            print(f"4 main window: {check_window(run, data)}")
            changed = sorted(set(snapshot(app_dir).items()) ^ set(before.items()))
            if changed:
                raise CheckFailed(f"the run wrote into the program folder: {changed[:10]}")
            licences = check_metadata(app_dir)
            check_nothing_slow_bundled(app_dir)
            print(
                f"5 program folder untouched; licence metadata of {licences} libraries present; "
                "nothing loaded at every start that the app does not use"
            )
            report["render"] = rendered
            report["timing"] = timing = measure(run, data, args.runs)
        except (CheckFailed, subprocess.TimeoutExpired) as exc:
            print(f"FAILED: {exc}", file=sys.stderr)
            return 1

    tarballs = sorted(ROOT.glob(f"dist/FairDesk-{__version__}-linux-*.tar.gz"))
    report["folder_bytes"] = folder_bytes(app_dir)
    report["tarball_bytes"] = tarballs[-1].stat().st_size if tarballs else None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    mb = 1024 * 1024
    print(f"package: folder {report['folder_bytes'] / mb:.0f} MB", end="")
    if tarballs:
        print(f", {tarballs[-1].name} {tarballs[-1].stat().st_size / mb:.0f} MB")
    else:
        print(" (no tarball found)")
    print(
        "start-up (median of {runs}): window {wf:.2f} s frozen vs {ws:.2f} s source "
        "(x{wr:.2f}); CLI {cf:.2f} s vs {cs:.2f} s (x{cr:.2f})".format(
            runs=args.runs,
            wf=timing["window_frozen_s"],
            ws=timing["window_source_s"],
            wr=timing["window_frozen_over_source"],
            cf=timing["cli_frozen_s"],
            cs=timing["cli_source_s"],
            cr=timing["cli_frozen_over_source"],
        )
    )
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
