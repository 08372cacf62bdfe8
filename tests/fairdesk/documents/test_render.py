"""Rendering documents for real: PDF checked with pdftotext/pdffonts/qpdf, DOCX reopened."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import docx
import pytest

from fairdesk import cases
from fairdesk.documents import blocks, service, templates
from fairdesk.documents.context import prepare
from fairdesk.documents.render import build_spec
from fairdesk.store import Store

from .conftest import FULL_FIELDS, normalise, pdffonts, pdftotext, qpdf_check

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def _fields_for(kind: str, lang: str) -> dict[str, str]:
    info = templates.load(kind, lang)
    return {k: v for k, v in FULL_FIELDS.items() if k in (*info.required, *info.optional)}


@pytest.mark.parametrize("lang", ["zh", "en", "de"])
def test_pdf_text_fonts_and_structure_with_real_tools(
    demo_store: Store, canton_case: str, tmp_path: Path, lang: str
) -> None:
    fields = _fields_for("panel_response", lang)
    result = service.render_document(
        demo_store, canton_case, "panel_response", lang, fields, now=NOW
    )
    pdf = tmp_path / "out.pdf"
    pdf.write_bytes(result.data)
    text = normalise(pdftotext(pdf))
    for needle in (
        "重庆示例机电有限公司",
        "专利",
        "Größe&Söhne",
        "äöüßÄÖÜ",
        "便携式榨汁机",
        "ZL202330000001.X",
        "1/",
        result.doc_ref[:16],
    ):
        assert normalise(needle) in text, needle
    fonts = pdffonts(pdf)
    assert fonts, "no fonts listed"
    for row in fonts:
        assert "Helvetica" not in row[0]
        assert row[-5] == "yes" and row[-4] == "yes", row  # emb, sub
    check = qpdf_check(pdf)
    assert check.returncode == 0, check.stdout + check.stderr
    # The DOCX has the same headings and tables.
    spec_blocks = build_spec(
        prepare(demo_store, canton_case, "panel_response", lang, fields, now=NOW)
    ).blocks
    word = service.render_document(
        demo_store, canton_case, "panel_response", lang, fields, fmt="docx", now=NOW
    )
    doc = docx.Document(io.BytesIO(word.data))
    headings = [
        p.text
        for p in doc.paragraphs
        if p.style is not None and str(p.style.name).startswith(("Heading", "Title"))
    ]
    expected = [blocks.plain(b.text) for b in spec_blocks if b.kind in ("title", "heading")]
    assert headings == expected
    tables = [b for b in spec_blocks if b.kind == "table"]
    assert len(doc.tables) == len(tables)
    for table, block in zip(doc.tables, tables, strict=True):
        assert [[c.text for c in r.cells] for r in table.rows] == [list(r) for r in block.rows]
    east_asia = doc.styles["Normal"].element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia"
    )
    assert east_asia == "Noto Sans SC"


def test_every_kind_in_every_language_renders(
    demo_store: Store, situation_cases: dict[str, str], tmp_path: Path
) -> None:
    available = service.kinds(demo_store)
    assert len(available) >= 19
    demo_cases = [r.id for r in cases.list_cases(demo_store)]  # the demo + the situation set
    for kind, langs in available.items():
        assert langs, kind
        # Each kind renders for a demo case it fits (never for one it does not fit).
        case_id = next(c for c in demo_cases if service.why_not(demo_store, c, kind) is None)
        for lang in langs:
            result = service.render_document(
                demo_store, case_id, kind, lang, _fields_for(kind, lang), now=NOW, save=False
            )
            path = tmp_path / f"{kind}-{lang}.pdf"
            path.write_bytes(result.data)
            assert result.pages >= 1
            text = normalise(pdftotext(path))
            title = templates.load(kind, lang).title
            assert normalise(title.split("（")[0].split(" (")[0]) in text, (kind, lang)
            if lang == langs[0]:  # the DOCX of every kind opens in python-docx
                word = service.render_document(
                    demo_store,
                    case_id,
                    kind,
                    lang,
                    _fields_for(kind, lang),
                    fmt="docx",
                    now=NOW,
                    save=False,
                )
                reopened = docx.Document(io.BytesIO(word.data))
                assert reopened.paragraphs, kind
                if word.cover:
                    assert docx.Document(io.BytesIO(word.cover)).paragraphs, kind
            signer = templates.load(kind, lang).signer
            if signer == "counsel":  # counsel signs filings, alone
                assert normalise(FULL_FIELDS["representative"]) in text, (kind, lang)
            elif signer == "company":
                assert normalise(FULL_FIELDS["signatory_name"]) in text, (kind, lang)


def test_same_case_twice_gives_the_same_text(
    demo_store: Store, canton_case: str, tmp_path: Path
) -> None:
    fields = _fields_for("panel_response", "zh")
    a = service.render_document(demo_store, canton_case, "panel_response", "zh", fields, now=NOW)
    b = service.render_document(demo_store, canton_case, "panel_response", "zh", fields, now=NOW)
    (tmp_path / "a.pdf").write_bytes(a.data)
    (tmp_path / "b.pdf").write_bytes(b.data)
    assert pdftotext(tmp_path / "a.pdf") == pdftotext(tmp_path / "b.pdf")
    assert a.doc_ref == b.doc_ref


def test_missing_fields_are_listed_and_nothing_is_stored(
    demo_store: Store, canton_case: str
) -> None:
    with pytest.raises(service.MissingFieldsError) as info:
        service.render_document(
            demo_store,
            canton_case,
            "panel_response",
            "en",
            {"company_name": "X Ltd", "allegations": "Copy | "},
        )
    names = [m.name for m in info.value.missing]
    assert names == ["allegations", "defence_grounds", "signatory_name"]
    assert "Our answer" in str(info.value)  # the row without an answer is named
    assert service.list_documents(demo_store, canton_case) == []


def test_allow_blanks_renders_marked_blanks(
    demo_store: Store, canton_case: str, tmp_path: Path
) -> None:
    result = service.render_document(
        demo_store, canton_case, "panel_response", "de", {}, allow_blanks=True
    )
    path = tmp_path / "b.pdf"
    path.write_bytes(result.data)
    assert normalise(blocks.blank_mark("de")) in normalise(pdftotext(path))
    assert "待填写" not in pdftotext(path)  # the German marker, not the Chinese one
    assert result.document is not None
    assert "company_name" in result.document.blanks  # the record keeps the field's name
    # The responder reads the field's label in their language, never the internal name.
    warning = next(w for w in result.warnings if blocks.blank_mark("de") in w)
    assert "Our company (full legal name)" in warning
    assert "company_name" not in warning


def test_character_outside_the_font_is_replaced_visibly_and_reported(
    demo_store: Store, canton_case: str, tmp_path: Path
) -> None:
    fields = _fields_for("panel_response", "de") | {"company_name": "GROẞE 😀 GmbH"}
    result = service.render_document(demo_store, canton_case, "panel_response", "de", fields)
    path = tmp_path / "c.pdf"
    path.write_bytes(result.data)
    text = pdftotext(path)
    assert "GRO□E □ GmbH" in text
    warning = next(w for w in result.warnings if "U+1E9E" in w)
    assert "U+1F600" in warning
    word = service.render_document(
        demo_store, canton_case, "panel_response", "de", fields, fmt="docx"
    )
    assert "GROẞE 😀 GmbH" in "\n".join(
        c.text for t in docx.Document(io.BytesIO(word.data)).tables for r in t.rows for c in r.cells
    )


def test_user_text_is_never_read_as_layout(demo_store: Store, canton_case: str) -> None:
    fields = _fields_for("panel_response", "en") | {
        "defence_grounds": "# not a heading\n- not a bullet\n| not | a table |\n::pagebreak **x**"
    }
    prepared = prepare(demo_store, canton_case, "panel_response", "en", fields)
    spec = build_spec(prepared)
    grounds = next(b for b in spec.blocks if b.kind == "paragraph" and "not a heading" in b.text)
    assert blocks.plain(grounds.text) == (
        "# not a heading\n- not a bullet\n| not | a table |\n::pagebreak **x**"
    )
    assert sum(1 for b in spec.blocks if b.kind == "pagebreak") == 0


def test_twenty_page_defence_renders(demo_store: Store, canton_case: str, tmp_path: Path) -> None:
    para = (
        "Die Beschwerdegegnerin vertreibt das Produkt seit 2019; 重庆工厂的生产记录证明了这一点。 "
        * 12
    )
    long_text = "\n\n".join(f"{i}. {para}" for i in range(1, 90))
    fields = _fields_for("panel_response", "de") | {"defence_grounds": long_text}
    result = service.render_document(demo_store, canton_case, "panel_response", "de", fields)
    assert result.pages >= 20
    path = tmp_path / "long.pdf"
    path.write_bytes(result.data)
    assert qpdf_check(path).returncode == 0
    assert "89." in pdftotext(path)


def test_giant_table_cell_falls_back_to_lists(demo_store: Store, canton_case: str) -> None:
    huge = "word " * 9000  # one answer longer than a page: reportlab cannot split a table row
    fields = _fields_for("panel_response", "en") | {"allegations": f"Copy | {huge}"}
    result = service.render_document(
        demo_store, canton_case, "panel_response", "en", fields, save=False
    )
    assert any("longer than a page" in w for w in result.warnings)
    assert result.pages >= 3


def test_template_syntax_error_names_file_and_line(demo_store: Store, canton_case: str) -> None:
    folder = demo_store.data_dir / "templates" / "broken_kind" / "en"
    folder.mkdir(parents=True)
    (folder / "meta.toml").write_text('title = "Broken"\nrequired = []\n', encoding="utf-8")
    (folder / "template.txt").write_text(
        "# Broken\n\nline two\n{% if case_number %}\nno end\n", encoding="utf-8"
    )
    with pytest.raises(templates.TemplateError) as info:
        service.render_document(demo_store, canton_case, "broken_kind", "en")
    assert "broken_kind/en/template.txt" in str(info.value)
    assert "line 6" in str(info.value) or "line 5" in str(info.value)


def test_unknown_field_names_file_and_line(demo_store: Store, canton_case: str) -> None:
    folder = demo_store.data_dir / "templates" / "typo_kind" / "en"
    folder.mkdir(parents=True)
    (folder / "meta.toml").write_text('title = "Typo"\nrequired = []\n', encoding="utf-8")
    (folder / "template.txt").write_text(
        "# Typo\n\n{{ case_number }}\n\nDear {{ compainant }}\n", encoding="utf-8"
    )
    with pytest.raises(templates.TemplateError) as info:
        service.render_document(demo_store, canton_case, "typo_kind", "en")
    message = str(info.value)
    assert "typo_kind/en/template.txt" in message and "line 5" in message
    assert "compainant" in message
    assert service.kinds(demo_store)["typo_kind"] == ["en"]  # user templates are found
