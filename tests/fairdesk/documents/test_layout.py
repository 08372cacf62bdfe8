"""Pages that hold: no word or number split in a table column, no "1. 1.", the blank marker
in the document's language — checked on real PDFs with pdftotext."""

from __future__ import annotations

from pathlib import Path

from reportlab.pdfbase.pdfmetrics import stringWidth

from fairdesk.documents import blocks, fonts, service
from fairdesk.documents.pdf import CELL_PADDING, column_widths
from fairdesk.store import Store

from .conftest import FULL_FIELDS, pdffonts, pdftotext

LABEL = "Verfahrensbevollmächtigte(r) der Antragsgegnerin"


def test_a_users_own_numbering_is_not_doubled() -> None:
    for typed in ("1. to dismiss", "2) to dismiss", "（3）驳回"):
        parsed = blocks.parse("1. " + blocks.escape_value(typed))
        assert parsed[0].items[0] in ("to dismiss", "驳回"), parsed


def test_columns_are_at_least_as_wide_as_their_longest_word() -> None:
    fonts.register()
    rows = [
        ["Art", "Nummer", "Land / Amt", "Inhaber", "Status"],
        [
            "eingetragenes Design",
            "ZL 2023 3 0000001.X",
            "CN",
            "示例家电有限公司（虚构）",
            "erteilt",
        ],
        [LABEL, "Erika Beispiel, Rechtsanwältin " * 6, "", "", ""],
    ]
    widths = column_widths(rows, 5, 481.0)
    assert abs(sum(widths) - 481.0) < 0.5
    for col in range(5):
        for row in rows:
            for word in row[col].split():
                if not any("\u4e00" <= ch <= "\u9fff" for ch in word):
                    needed = stringWidth(word, fonts.BOLD, 9.5) + CELL_PADDING
                    assert widths[col] + 0.01 >= needed, (col, word, widths)


def test_long_labels_and_numbers_stay_whole_in_the_pdf(
    demo_store: Store, situation_cases: dict[str, str], tmp_path: Path
) -> None:
    fields = {
        k: FULL_FIELDS[k]
        for k in ("company_name", "facts", "legal_arguments", "representative", "court_name")
    } | {"court_file_number": "18 O 123/26", "order_date": "24.11.2026"}
    result = service.render_document(
        demo_store,
        situation_cases["hannover_injunction"],
        "widerspruch",
        "de",
        fields,
        allow_blanks=True,
        save=False,
    )
    path = tmp_path / "w.pdf"
    path.write_bytes(result.data)
    lines = pdftotext(path).splitlines()
    assert any("Verfahrensbevollmächtigte(r)" in line for line in lines)
    assert any("18 O 123/26" in line for line in lines)
    assert "待填写" not in "\n".join(lines)  # the German marker in a German document


def test_numbered_requests_typed_with_numbers_print_once(
    demo_store: Store, canton_case: str, tmp_path: Path
) -> None:
    fields = {
        k: FULL_FIELDS[k]
        for k in ("company_name", "allegations", "defence_grounds", "signatory_name")
    } | {"requests": "1. to dismiss the complaint\n2. to keep the exhibits on display"}
    result = service.render_document(
        demo_store, canton_case, "panel_response", "en", fields, save=False
    )
    path = tmp_path / "p.pdf"
    path.write_bytes(result.data)
    text = pdftotext(path)
    assert "to dismiss the complaint" in text
    assert "1. 1." not in text and "2. 2." not in text


def test_section_sign_and_quotes_are_not_full_width_in_german(
    demo_store: Store, situation_cases: dict[str, str], tmp_path: Path
) -> None:
    """Noto Sans SC draws § and “ ” full-width ("§ § 936"); German text takes them from
    the bundled Latin font, embedded like the rest; Chinese keeps the full-width forms."""
    fields = {
        k: FULL_FIELDS[k]
        for k in ("company_name", "facts", "legal_arguments", "representative", "court_name")
    }
    used = {}
    for lang in ("de", "zh"):
        result = service.render_document(
            demo_store,
            situation_cases["hannover_injunction"],
            "widerspruch",
            lang,
            fields,
            allow_blanks=True,
            save=False,
        )
        path = tmp_path / f"{lang}.pdf"
        path.write_bytes(result.data)
        rows = pdffonts(path)
        assert all(r[-5] == "yes" and r[-4] == "yes" for r in rows)  # embedded, subset
        used[lang] = {r[0].split("+")[-1] for r in rows}
    assert "DejaVuSans" in used["de"] and "§§ 936" in pdftotext(tmp_path / "de.pdf")
    assert "DejaVuSans" not in used["zh"]
