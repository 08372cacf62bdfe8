"""Side-by-side documents (``zh+de``): both versions in one PDF / DOCX, checked with real tools.

Every kind with two or more languages renders in two languages as PDF (qpdf --check passes,
every font embedded, pdftotext finds each version's title and the note on which version
governs, never a line of the cover sheet) and as DOCX (python-docx reopens it and finds
both). The DOCX draws § and quotes of German/English text from DejaVu Sans, as the PDF does.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import docx
import pytest

from fairdesk import cases
from fairdesk.cli import main
from fairdesk.documents import bilingual, service, templates
from fairdesk.documents import blocks as blk
from fairdesk.documents.context import prepare
from fairdesk.documents.render import build_spec
from fairdesk.store import Store

from .conftest import FULL_FIELDS, normalise, pdffonts, pdftotext, qpdf_check

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def _fields(kind: str, langs: list[str]) -> dict[str, str]:
    wanted: set[str] = set()
    for lang in langs:
        info = templates.load(kind, lang)
        wanted |= {*info.required, *info.optional}
    return {k: v for k, v in FULL_FIELDS.items() if k in wanted}


def _pair(langs: list[str]) -> str:
    """Chinese staff beside the binding language: zh+de where there is German, else zh+en."""
    if "zh" in langs:
        other = "de" if "de" in langs else next(lang for lang in langs if lang != "zh")
        return f"zh+{other}"
    return "+".join(langs[:2])


def _docx_text(data: bytes) -> str:
    """All text of a DOCX, nested tables (the two columns) included."""
    document = docx.Document(io.BytesIO(data))
    return "".join(t.text for t in document.element.body.iter(docx.oxml.ns.qn("w:t")))


def _key(title: str) -> str:
    return normalise(title.split("（")[0].split(" (")[0])


def test_every_kind_with_two_languages_renders_side_by_side_in_pdf_and_docx(
    demo_store: Store, situation_cases: dict[str, str], tmp_path: Path
) -> None:
    demo_cases = [r.id for r in cases.list_cases(demo_store)]
    rendered = 0
    for kind, langs in service.kinds(demo_store).items():
        if len(langs) < 2:
            continue
        case_id = next(c for c in demo_cases if service.why_not(demo_store, c, kind) is None)
        pair = _pair(langs)
        left, right = pair.split("+")
        fields = _fields(kind, [left, right])
        pdf = service.render_document(
            demo_store, case_id, kind, pair, fields, now=NOW, save=False, allow_blanks=True
        )
        path = tmp_path / f"{kind}-{pair}.pdf"
        path.write_bytes(pdf.data)
        check = qpdf_check(path)
        assert check.returncode == 0, (kind, check.stdout + check.stderr)
        for row in pdffonts(path):
            assert "Helvetica" not in row[0], (kind, row)
            assert row[-5] == "yes" and row[-4] == "yes", (kind, row)  # embedded, subset
        text = normalise(pdftotext(path))
        word = normalise(
            _docx_text(
                service.render_document(
                    demo_store,
                    case_id,
                    kind,
                    pair,
                    fields,
                    fmt="docx",
                    now=NOW,
                    save=False,
                    allow_blanks=True,
                ).data
            )
        )
        prepared = [
            prepare(demo_store, case_id, kind, lang, fields, now=NOW) for lang in (left, right)
        ]
        for p in prepared:
            spec = build_spec(p)
            # Each version's own heading (its title block) is in the PDF and the DOCX.
            heading = next(b.text for b in spec.blocks if b.kind == "title")
            title = normalise(blk.plain(heading))[:8]
            assert title in text and title in word, (kind, p.info.language)
            # The cover sheet (our notes) is in neither version.
            for note in spec.cover:
                if note.kind in ("note", "paragraph") and len(note.text) > 12:
                    assert normalise(blk.plain(note.text))[:40] not in text, (kind, note.text)
        # The note on which version governs, in both languages.
        for p in prepared:
            words = p.labels["words"]
            assert normalise(words["governs"].split("{lang}")[0])[:6] in text, kind
        rendered += 1
    assert rendered >= 15


def test_the_language_of_the_court_governs_and_is_said_in_both_languages(
    demo_store: Store, hannover_case: str, canton_case: str, tmp_path: Path
) -> None:
    fields = _fields("non_infringement", ["zh", "de"])
    result = service.render_document(
        demo_store, hannover_case, "non_infringement", "zh+de", fields, now=NOW, save=False
    )
    path = tmp_path / "h.pdf"
    path.write_bytes(result.data)
    text = normalise(pdftotext(path))
    assert normalise("Maßgeblich ist die deutsche Fassung als Sprache des Gerichts") in text
    assert "本文书以德文文本（法院或展会主办方使用的语言）为准" in text
    # At the Canton Fair the organiser works in Chinese: the Chinese version governs.
    assert bilingual.governing(("zh", "en"), "CN") == ("zh", True)
    # Where neither is the authority's language, the version the other side reads governs.
    assert bilingual.governing(("zh", "en"), "ES") == ("en", False)


def test_versions_that_do_not_align_are_given_one_after_the_other(
    demo_store: Store, canton_case: str, tmp_path: Path
) -> None:
    fields = _fields("panel_response", ["zh", "en"])
    specs = [
        build_spec(prepare(demo_store, canton_case, "panel_response", lang, fields, now=NOW))
        for lang in ("zh", "en")
    ]
    assert bilingual.align(specs[0].blocks, specs[1].blocks) is not None
    from dataclasses import replace

    from fairdesk.documents import pdf

    extra = replace(specs[1], blocks=(*specs[1].blocks, blk.Block("paragraph", text="Extra.")))
    spec = bilingual.combine(specs[0], extra, "CN")
    assert not spec.side_by_side
    result = pdf.write_bilingual(spec)
    path = tmp_path / "seq.pdf"
    path.write_bytes(result.data)
    text = normalise(pdftotext(path))
    assert _key(specs[0].title) in text and _key(specs[1].title) in text and "Extra." in text
    assert any("one after the other" in w for w in result.warnings)


def test_a_bilingual_document_is_stored_as_its_own_version_with_both_titles(
    demo_store: Store, hannover_case: str
) -> None:
    fields = _fields("non_infringement", ["zh", "de"])
    first = service.render_document(
        demo_store, hannover_case, "non_infringement", "zh+de", fields, now=NOW
    )
    again = service.render_document(
        demo_store, hannover_case, "non_infringement", "zh+de", fields, now=NOW
    )
    assert first.document is not None and again.document is not None
    assert first.document.language == "zh+de" and again.document.version == 2
    zh = templates.load("non_infringement", "zh").title
    de = templates.load("non_infringement", "de").title
    assert first.document.title == f"{zh} / {de}"


def test_cli_renders_side_by_side_and_refuses_a_language_twice(
    demo_store: Store,
    hannover_case: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "both.docx"
    base = [
        "doc", "render", hannover_case, "--data-dir", str(demo_store.data_dir),
        "--kind", "non_infringement", "--format", "docx", "--allow-blanks", "--json",
    ]  # fmt: skip
    assert main([*base, "--out", str(out), "--doc-lang", "zh+de"]) == 0
    assert json.loads(capsys.readouterr().out)["out"] == str(out)
    word = normalise(_docx_text(out.read_bytes()))
    assert _key(templates.load("non_infringement", "de").title) in word
    assert _key(templates.load("non_infringement", "zh").title) in word
    with pytest.raises(SystemExit) as twice:
        main([*base, "--out", str(tmp_path / "x.docx"), "--doc-lang", "zh+zh"])
    assert twice.value.code == 2


def test_docx_draws_section_sign_and_quotes_of_german_text_from_dejavu_sans(
    demo_store: Store, hannover_case: str
) -> None:
    def punct_fonts(lang: str) -> dict[str, set[str]]:
        fields = _fields("widerspruch", [lang])
        data = service.render_document(
            demo_store,
            hannover_case,
            "widerspruch",
            lang,
            fields,
            fmt="docx",
            now=NOW,
            save=False,
            allow_blanks=True,
        ).data
        found: dict[str, set[str]] = {}
        for run in docx.Document(io.BytesIO(data)).element.body.iter(docx.oxml.ns.qn("w:r")):
            text = "".join(t.text or "" for t in run.iter(docx.oxml.ns.qn("w:t")))
            fonts = run.find(f"{docx.oxml.ns.qn('w:rPr')}/{docx.oxml.ns.qn('w:rFonts')}")
            east = fonts.get(docx.oxml.ns.qn("w:eastAsia")) if fonts is not None else None
            for ch in "§“”„":
                if ch in text:
                    found.setdefault(ch, set()).add(east or "style")
        return found

    german = punct_fonts("de")
    assert german.get("§") == {"DejaVu Sans"}, german
    chinese = punct_fonts("zh")
    assert all("DejaVu Sans" not in f for f in chinese.values()), chinese


def test_a_photo_is_shown_once_and_described_in_the_governing_language(
    demo_store: Store, hannover_case: str, tmp_path: Path
) -> None:
    import hashlib

    from PIL import Image

    from fairdesk.documents.evidence_view import EvidenceView

    photo = tmp_path / "booth.jpg"
    Image.new("RGB", (800, 600), (30, 120, 200)).save(photo, "JPEG")
    view = EvidenceView(
        id="e1",
        sha256=hashlib.sha256(photo.read_bytes()).hexdigest(),
        original_name=photo.name,
        caption="Stand B21",
        path=photo,
    )
    fields = {"company_name": "Example Ltd", "signatory_name": "A. Example"}
    for fmt in ("pdf", "docx"):
        result = service.render_document(
            demo_store,
            hannover_case,
            "evidence_report",
            "zh+de",
            fields,
            fmt=fmt,
            evidence=[view],
            allow_blanks=True,
            save=False,
        )
        if fmt == "pdf":
            path = tmp_path / "ev.pdf"
            path.write_bytes(result.data)
            text = normalise(pdftotext(path))
            assert result.data.count(b"/DCTDecode") == 1  # one photo, not one per column
        else:
            text = normalise(_docx_text(result.data))
        assert "AnlageE1" in text and "证据E1" not in text, fmt  # German governs in Hannover
