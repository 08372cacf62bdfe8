"""The lawyer-editable block format that every template renders to, parsed into typed blocks.

A template (Jinja2) produces plain text in a small Markdown-like format, one construct per line:

``# Title``, ``## Heading``, ``### Subheading``; ``- bullet`` and ``1. numbered`` items;
``| a | b |`` table rows (a ``|---|`` row after the first marks it as a header row);
``> note`` (a framed notice); ``::pagebreak``; ``::evidence <sha256>`` (the evidence-photo
block for one item); ``::signature Name | Role | Place and date`` (a signature block);
``::qr <text>`` (a QR code). Everything else is paragraph text; blank lines separate
paragraphs; ``**bold**`` marks bold text.

Lines between ``::internal`` and ``::end`` are notes for our own side (strategy, validity,
what not to sign): they are parsed as usual but marked ``internal`` and printed only on the
separate cover sheet, never in the document that is filed or sent.

Values inserted into a template are escaped (see :func:`escape_value`) so that a ``|`` or a
leading ``#`` typed by a user never turns into markup; their line breaks survive as breaks.
The PDF and DOCX writers both consume the same blocks, which is what keeps them in step.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, replace

# Private-use characters standing in for markup characters inside inserted values.
_PIPE = "\ue000"
_STAR = "\ue001"
_LITERAL = "\ue002"  # starts a value line that must not be read as markup
_BREAK = "\ue003"  # a line break inside an inserted value
_HASH = "\ue004"
_COLON = "\ue005"

BLANK_MARK = "［待填写 / TO BE COMPLETED］"  # for a document language without its own marker
# The marker in the document's own language (``blank`` in labels/<lang>.toml); a German
# document must not carry a Chinese marker.
BLANK_MARKS = {"zh": "［待填写］", "en": "[TO BE COMPLETED]", "de": "[NOCH AUSZUFÜLLEN]"}


def blank_mark(language: str) -> str:
    return BLANK_MARKS.get(language, BLANK_MARK)


def split_blanks(text: str) -> list[str]:
    """``text`` split around every blank marker; odd positions are the markers themselves."""
    marks = sorted({BLANK_MARK, *BLANK_MARKS.values()}, key=len, reverse=True)
    return re.split("(" + "|".join(re.escape(m) for m in marks) + ")", text)


@dataclass(frozen=True)
class Block:
    kind: str  # title | heading | paragraph | bullets | numbered | table | note | pagebreak
    #            | evidence | signature | qr
    text: str = ""
    level: int = 0
    items: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    header: bool = False
    line: int = 0  # line in the rendered text (for messages)
    extra: tuple[str, ...] = field(default_factory=tuple)
    internal: bool = False  # for our cover sheet only, never in the outgoing document


_LINE_MARKUP = re.compile(r"^\s*(?:[-•>]|\d+[.)]\s)")


def escape_value(value: object) -> str:
    """Turn a value inserted into a template into text that the parser reads back verbatim."""
    if value is None:
        return ""
    text = str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("|", _PIPE).replace("*", _STAR).replace("#", _HASH).replace(":", _COLON)
    if _LINE_MARKUP.match(text):
        text = _LITERAL + text  # placed at a line start it must still read as text
    return text.replace("\n", _BREAK)


def unescape(text: str) -> str:
    """Back to the characters the user typed; value line breaks become ``\\n``.

    A user's ``*`` stays escaped until :func:`runs` / :func:`plain`, after bold markup is read.
    """
    return (
        text.replace(_PIPE, "|")
        .replace(_HASH, "#")
        .replace(_COLON, ":")
        .replace(_LITERAL, "")
        .replace(_BREAK, "\n")
    )


_NUMBERED = re.compile(r"^(\d+)[.)]\s+(.*)$")
_OWN_NUMBER = re.compile(r"^(?:\(?\d{1,2}[.)）、]|[（(]\d{1,2}[)）])\s*")
_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def _cells(line: str) -> tuple[str, ...]:
    inner = line.strip()
    if inner.startswith("|"):
        inner = inner[1:]
    if inner.endswith("|"):
        inner = inner[:-1]
    return tuple(unescape(cell.strip()) for cell in inner.split("|"))


_INTERNAL_START = "::internal"
_INTERNAL_END = "::end"


def parse(text: str) -> list[Block]:
    """Parse rendered template text into blocks (never fails: unknown lines are paragraphs).

    ``::internal`` … ``::end`` regions give blocks marked ``internal`` (see the module doc).
    """
    out: list[Block] = []
    segment: list[str] = []
    start = 0
    internal = False
    lines = text.split("\n")
    for i, raw in enumerate([*lines, None]):
        command = raw.strip().lower() if raw is not None else None
        if raw is None or command in (_INTERNAL_START, _INTERNAL_END):
            for b in _parse_segment("\n".join(segment)):
                out.append(replace(b, line=b.line + start, internal=internal))
            segment = []
            start = i + 1
            if command is not None:
                internal = command == _INTERNAL_START
            continue
        segment.append(raw)
    return out


def outgoing(blocks: list[Block]) -> list[Block]:
    """What is filed or sent: every block that is not an internal note."""
    return [b for b in blocks if not b.internal]


def internal(blocks: list[Block]) -> list[Block]:
    """Our own notes, for the cover sheet."""
    return [b for b in blocks if b.internal]


def _parse_segment(text: str) -> list[Block]:
    blocks: list[Block] = []
    para: list[str] = []
    para_line = 0
    lines = text.split("\n")
    i = 0

    def flush() -> None:
        nonlocal para
        if para:
            joined = " ".join(p.strip() for p in para)
            # A blank line inside an inserted value starts a new paragraph, like one in the template.
            for chunk in re.split(f"{_BREAK}\\s*{_BREAK}+", joined):
                chunk = unescape(chunk).strip()
                if chunk:
                    blocks.append(Block("paragraph", text=chunk, line=para_line))
            para = []

    while i < len(lines):
        raw = lines[i]
        line = raw.strip()
        lineno = i + 1
        if not line:
            flush()
            i += 1
            continue
        if line.startswith("#"):
            flush()
            level = len(line) - len(line.lstrip("#"))
            content = unescape(line[level:].strip())
            blocks.append(
                Block("title", text=content, line=lineno)
                if level == 1
                else Block("heading", text=content, level=min(level - 1, 3), line=lineno)
            )
            i += 1
            continue
        if line.startswith("::"):
            flush()
            name, _, arg = line[2:].partition(" ")
            name = name.strip().lower()
            if name == "pagebreak":
                blocks.append(Block("pagebreak", line=lineno))
            elif name == "evidence":
                blocks.append(Block("evidence", text=unescape(arg.strip()), line=lineno))
            elif name == "signature":
                parts = tuple(unescape(p.strip()) for p in arg.split("|"))
                blocks.append(Block("signature", items=parts, line=lineno))
            elif name == "qr":
                blocks.append(Block("qr", text=unescape(arg.strip()), line=lineno))
            else:
                blocks.append(Block("paragraph", text=unescape(line), line=lineno))
            i += 1
            continue
        if line.startswith("|"):
            flush()
            rows: list[tuple[str, ...]] = []
            header = False
            start = lineno
            while i < len(lines) and lines[i].strip().startswith("|"):
                row_text = lines[i].strip()
                if _SEPARATOR.match(row_text):
                    header = header or len(rows) == 1
                else:
                    rows.append(_cells(row_text))
                i += 1
            width = max(len(r) for r in rows) if rows else 0
            padded = tuple(r + ("",) * (width - len(r)) for r in rows)
            if padded:
                blocks.append(Block("table", rows=padded, header=header, line=start))
            continue
        if line.startswith(("- ", "* ", "• ")) or _NUMBERED.match(line):
            flush()
            ordered = bool(_NUMBERED.match(line))
            items: list[str] = []
            start = lineno
            while i < len(lines):
                cur = lines[i].strip()
                m = _NUMBERED.match(cur)
                if ordered and m:
                    # A value that already starts with "1." must not print as "1. 1.".
                    items.append(_OWN_NUMBER.sub("", unescape(m.group(2).strip())))
                elif not ordered and cur.startswith(("- ", "* ", "• ")):
                    items.append(unescape(cur[2:].strip()))
                elif cur and items and lines[i].startswith((" ", "\t")):
                    items[-1] += " " + unescape(cur)  # indented continuation line
                else:
                    break
                i += 1
            blocks.append(
                Block("numbered" if ordered else "bullets", items=tuple(items), line=start)
            )
            continue
        if line.startswith(">"):
            flush()
            note: list[str] = []
            start = lineno
            while i < len(lines) and lines[i].strip().startswith(">"):
                note.append(lines[i].strip()[1:].strip())
                i += 1
            blocks.append(Block("note", text=unescape(" ".join(note)).strip(), line=start))
            continue
        if not para:
            para_line = lineno
        para.append(line)
        i += 1
    flush()
    return blocks


_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)


def runs(text: str) -> list[tuple[str, bool]]:
    """Split inline text into (text, bold) runs; ``**x**`` is bold.

    Runs keep the user's own ``*`` characters, because those were escaped before parsing and
    only come back here, after the template's own markup has been read.
    """
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in _BOLD.finditer(text):
        if m.start() > pos:
            out.append((text[pos : m.start()].replace(_STAR, "*"), False))
        out.append((m.group(1).replace(_STAR, "*"), True))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:].replace(_STAR, "*"), False))
    return out or [("", False)]


def plain(text: str) -> str:
    """The text without bold markers, as the reader sees it."""
    return "".join(t for t, _bold in runs(text))


def content_hash(blocks: list[Block], *, kind: str, language: str) -> str:
    """SHA-256 over a canonical form of the blocks: the document's own reference.

    It identifies the content (not the file bytes, which also carry the generation time), so
    the same content rendered as PDF or DOCX, or twice, has the same reference.
    """
    payload = json.dumps(
        {"kind": kind, "language": language, "blocks": [asdict(b) | {"line": 0} for b in blocks]},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def all_text(blocks: list[Block]) -> str:
    """Every visible character of the blocks (for font coverage checks)."""
    parts: list[str] = []
    for b in blocks:
        parts.append(b.text)
        parts.extend(b.items)
        parts.extend(b.extra)
        for row in b.rows:
            parts.extend(row)
    return plain("\n".join(parts))
