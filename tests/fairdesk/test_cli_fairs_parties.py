"""`fairdesk fair add|edit|list` and the party and right options of `case new|edit`, as a
real subprocess on fresh data folders: the README's own command, JSON keys, bad input."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fairdesk.test_cli import fairdesk


def test_readme_command_works_on_a_fresh_folder(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    out = fairdesk(
        "case", "new", "--title", "Injunction at the booth", "--trigger", "court_order",
        "--fair", "Hannover Messe", "--deadline-hours", "24", "--json", data_dir=data,
    )  # fmt: skip
    shown = json.loads(out.stdout)
    assert shown["fair"]["name"] == "Hannover Messe"
    assert shown["fair_time_zone"] == "Europe/Berlin"
    assert shown["next_deadline"].endswith(("+01:00", "+02:00"))  # fair-local


def test_fair_list_add_edit_json(tmp_path: Path) -> None:
    data = tmp_path / "data"
    listed = json.loads(fairdesk("fair", "list", "--json", data_dir=data).stdout)
    assert len(listed) >= 40
    assert {"name", "country", "time_zone", "name_zh", "catalogue_key"} <= set(listed[0])
    added = json.loads(
        fairdesk(
            "fair", "add", "--name", "Example Expo", "--time-zone", "Asia/Tokyo",
            "--country", "jp", "--city", "Tokyo", "--name-zh", "示例展", "--json",
            data_dir=data,
        ).stdout
    )  # fmt: skip
    assert (added["country"], added["closing_time"], added["catalogue_key"]) == ("JP", "", "")
    edited = json.loads(
        fairdesk(
            "fair", "edit", "汉诺威工业博览会", "--starts", "2027-04-12", "--ends", "2027-04-16",
            "--json", data_dir=data,
        ).stdout
    )  # fmt: skip
    assert (edited["name"], edited["starts_on"], edited["ends_on"]) == (
        "Hannover Messe",
        "2027-04-12",
        "2027-04-16",
    )
    names = [
        f["name"] for f in json.loads(fairdesk("fair", "list", "--json", data_dir=data).stdout)
    ]
    assert names.count("Example Expo") == 1 and names.count("Hannover Messe") == 1
    assert names[0] == "Hannover Messe"  # fairs with dates first


def test_fair_bad_input_is_one_sentence_and_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    before = fairdesk("fair", "list", "--json", data_dir=data).stdout
    cases = [
        (["fair", "add", "--name", "X", "--time-zone", "Mars/Olympus"], "Unknown time zone"),
        (["fair", "add", "--name", "CES", "--time-zone", "America/Los_Angeles"], "already a fair"),
        (
            ["fair", "add", "--name", "Y", "--time-zone", "Europe/Berlin", "--starts",
             "2027-01-05", "--ends", "2027-01-01"],
            "cannot end (2027-01-01) before it starts (2027-01-05)",
        ),
        (["fair", "edit", "IFA Berlin", "--starts", "2027-09-07", "--ends", "2027-09-01"],
         "cannot end"),
        (["fair", "edit", "IFA Berlin", "--name", "CES"], "already a fair called CES"),
    ]  # fmt: skip
    for args, message in cases:
        result = fairdesk(*args, data_dir=data, ok=False)
        assert result.returncode == 1
        assert message in result.stderr
        assert "Traceback" not in result.stderr
    assert fairdesk("fair", "list", "--json", data_dir=data).stdout == before


def test_every_role_and_our_right_from_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    help_text = fairdesk("case", "new", "--help", data_dir=data).stdout
    for option in ("--court", "--file-number", "--bailiff", "--our-right", "--notary", "--us"):
        assert option in help_text
    result = fairdesk(
        "case", "new", "--title", "Injunction", "--trigger", "court_order",
        "--fair", "Hannover Messe",
        "--complainant", "Dr. Beispiel@Muster GmbH", "--their-counsel", "RA Muster",
        "--court", "Landgericht Düsseldorf", "--file-number", "4a O 12/26",
        "--bailiff", "K. Weber", "--us", "Example Tools Co.", "--our-counsel", "Jane Example",
        "--customs", "HZA Hannover", "--police", "PI Hannover", "--organiser-desk", "Desk",
        "--witness", "Li Example", "--notary", "Notar Beispiel",
        "--right", "invention_patent:EP 3 000 001:EP",
        "--our-right", "design:DE 40 2020 123 456-0001:DE",
        "--right", "utility_model:12345:DE",
        "--json", data_dir=data,
    )  # fmt: skip
    shown = json.loads(result.stdout)
    roles = {p["role"]: p for p in shown["parties"]}
    assert set(roles) == {
        "complainant", "their_counsel", "court", "bailiff", "us", "our_counsel", "customs",
        "police", "organiser_ip_desk", "witness", "notary",
    }  # fmt: skip
    assert roles["court"]["file_number"] == "4a O 12/26"
    assert roles["complainant"]["organisation"] == "Muster GmbH"
    assert roles["bailiff"]["name"] == "K. Weber"  # never the complainant
    whose = {r["number"]: (r["whose"], r["asserted_by_us"]) for r in shown["rights"]}
    assert whose == {
        "EP 3 000 001": ("theirs", False),
        "DE 40 2020 123 456-0001": ("ours", True),
        "12345": ("theirs", False),
    }
    # A number not in its office's format is saved, with a warning.
    assert "12345 does not look like a DE number" in result.stderr
    case_id = shown["id"]
    bailiff = roles["bailiff"]["id"]
    fairdesk("case", "edit", case_id, "--remove-party", bailiff, "--add-notary", "N2",
             data_dir=data)  # fmt: skip
    after = json.loads(fairdesk("case", "show", case_id, "--json", data_dir=data).stdout)
    assert bailiff not in {p["id"] for p in after["parties"]}
    assert "N2" in {p["name"] for p in after["parties"]}


def test_odd_file_number_and_nameless_party_save_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    fairdesk("fair", "list", data_dir=data)
    for args, message in (
        (["--court", "LG Hamburg", "--file-number", "312 O 1/26; DROP"], "file number"),
        (["--bailiff", "  "], "Give a name for the bailiff"),
        (["--file-number", "4a O 12/26"], "--court NAME"),
    ):
        result = fairdesk("case", "new", "--title", "x", *args, data_dir=data, ok=False)
        assert result.returncode == 1 and message in result.stderr, result.stderr
    listed = json.loads(fairdesk("case", "list", "--json", data_dir=data).stdout)
    assert listed == []
