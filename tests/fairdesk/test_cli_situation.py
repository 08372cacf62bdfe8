"""``case show --json`` carries ``situation`` (keys only added) and ``case edit --situation``
corrects it; a situation FairDesk does not know is refused with one sentence, nothing saved."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def _run(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fairdesk", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FAIRDESK_LANG": "en"},
    )


def test_situation_in_json_corrected_and_bad_input_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    # A fresh folder: the shipped fair catalogue (Hannover Messe among it) is there at once.
    made = _run(data, "case", "new", "--title", "Injunction", "--trigger", "court_order",
                "--fair", "Hannover Messe", "--json")  # fmt: skip
    assert made.returncode == 0, made.stderr
    case = json.loads(made.stdout)
    assert case["situation"] == {
        "key": "respondent/ex_parte_order_served/DE",
        "role": "respondent",
        "event": "ex_parte_order_served",
        "jurisdiction": "DE",
        "label": "Served: ex-parte court order, Germany — you are the respondent",
        "computed": "respondent/ex_parte_order_served/DE",
        "corrected": False,
    }
    shown = json.loads(_run(data, "case", "show", case["id"], "--json").stdout)
    assert {"documents", "proposed_deadlines"} <= set(shown["guidance"])
    assert shown["guidance"]["situation"] == "respondent/ex_parte_order_served/DE"
    proposed = {d["id"]: d for d in shown["guidance"]["proposed_deadlines"]}
    month = proposed["de-holder-serve-1-month"]  # for checking, never counted from our service
    assert month["anchor"] == "service_on_holder" and month["due_utc"] is None
    assert month["whose"] == "theirs"  # the applicant's month, not ours
    assert not month["can_add"]
    assert "protective_letter" not in shown["guidance"]["documents"]

    bad = _run(data, "case", "edit", case["id"], "--situation", "respondent/served/Germany")
    assert bad.returncode == 1
    error = bad.stderr.strip().splitlines()[-1]  # (a line before may warn: not encrypted)
    assert (
        error.startswith("fairdesk: Not a situation FairDesk knows")
        and "role/event/country" in error
    )
    unchanged = json.loads(_run(data, "case", "show", case["id"], "--json").stdout)
    assert unchanged["situation"]["corrected"] is False

    fixed = _run(
        data, "case", "edit", case["id"], "--situation", "respondent/police_raid/DE", "--json"
    )
    assert fixed.returncode == 0, fixed.stderr
    after = json.loads(fixed.stdout)["situation"]
    assert after["key"] == "respondent/police_raid/DE" and after["corrected"] is True
    back = json.loads(
        _run(data, "case", "edit", case["id"], "--situation", "auto", "--json").stdout
    )
    assert back["situation"]["corrected"] is False

    # Corrected to our own injunction: the respondent's objection is the other side's remedy.
    ours = _run(
        data, "case", "edit", case["id"], "--situation", "complainant/our_court_order/DE", "--json"
    )
    assert ours.returncode == 0, ours.stderr
    guidance = json.loads(_run(data, "case", "show", case["id"], "--json").stdout)["guidance"]
    assert "de.widerspruch" in {c["id"] for c in guidance["other_side"]}
    assert "de.widerspruch" not in {c["id"] for c in guidance["cards"]}
