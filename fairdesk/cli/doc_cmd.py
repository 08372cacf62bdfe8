"""``fairdesk doc kinds`` and ``fairdesk doc render``: response documents from the command line.

``render`` stores the generated file as the next version of the document (like the app does)
and also writes it to ``--out``; where the template holds notes for our side, the internal
cover sheet goes to its own file (``--cover-out``, default ``<out>.cover.<ext>``), never into
the document. Errors follow the CLI contract: one sentence on stderr and exit status 1 — a
kind that does not fit the case says why; missing required fields are listed after the
sentence (unless ``--allow-blanks`` is given).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from fairdesk.cli.common import add_subcommand, open_from_args, print_json
from fairdesk.errors import ValidationError
from fairdesk.i18n import _

EXIT_MISSING = 1  # the CLI contract: every error exits with 1
# templates.DOC_LANGUAGES, spelt out so that building the parser imports no document code.
_DOC_LANGS = ("zh", "en", "de")


def documents_json(store: Any, case_id: str) -> Any:
    from fairdesk.documents import service

    return service.documents_json(store, case_id)


def _parse_fields(pairs: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValidationError(_("--field needs NAME=VALUE, got: {value}").format(value=pair))
        if value.startswith("@"):
            try:
                value = Path(value[1:]).expanduser().read_text(encoding="utf-8")
            except OSError as exc:
                raise ValidationError(
                    _("Cannot read the field file {path}: {error}").format(
                        path=value[1:], error=exc.strerror
                    )
                ) from exc
        else:
            value = value.replace("\\n", "\n")
        fields[name.strip()] = value
    return fields


def _kinds(args: argparse.Namespace) -> int:
    from fairdesk.documents import service

    store = open_from_args(args)
    try:
        available = service.kinds(store)
        fitting: dict[str, list[str]] | None = None
        if args.case:
            from fairdesk.cases import get_case

            fitting = service.kinds_for_case(store, get_case(store, args.case).case.id)
        rows: list[dict[str, Any]] = [
            {
                "kind": kind,
                "languages": langs,
                "titles": {lang: service.kind_title(kind, lang, store) for lang in langs},
                # Keys added by the applicability work (only ever added, never renamed):
                "applies": service.declaration(kind, store).as_json(),
                "fields": _fields_of(kind, langs, store),
            }
            for kind, langs in available.items()
            if fitting is None or kind in fitting
        ]
    finally:
        store.close()
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        title = row["titles"].get("en") or next(iter(row["titles"].values()), "")
        print(f"{row['kind']:<28} {','.join(row['languages']):<10} {title}")
    return 0


def _fields_of(kind: str, langs: list[str], store: Any) -> dict[str, list[str]]:
    """Required and optional field names of a kind (its first language's metadata)."""
    from fairdesk.documents import templates

    info = templates.load(kind, langs[0], store.data_dir if store else None)
    return {"required": list(info.required), "optional": list(info.optional)}


def _fields_help() -> str:
    """The ``doc render --help`` epilog: each shipped kind with its fields (* = required)."""
    from fairdesk.documents import templates

    lines = [_("Kinds and their fields (* = required; see `fairdesk doc kinds --json`):")]
    try:
        for kind, langs in templates.available().items():
            info = templates.load(kind, "en" if "en" in langs else langs[0])
            names = [f"{n}*" for n in info.required] + list(info.optional)
            lines.append(f"  {kind} [{','.join(langs)}]: {' '.join(names)}")
    except templates.TemplateError as exc:  # help must still print with a broken template
        lines.append(f"  ({exc})")
    return "\n".join(lines)


class _RenderParser(argparse.ArgumentParser):
    """Reads the templates only when help is asked for, not on every command."""

    def format_help(self) -> str:
        self.epilog = _fields_help()
        return super().format_help()


def _render(args: argparse.Namespace) -> int:
    from fairdesk.cases import get_case
    from fairdesk.documents import service

    fields = _parse_fields(args.field or [])
    store = open_from_args(args, create=False)
    try:
        case_id = get_case(store, args.case).case.id
        try:
            result = service.render_document(
                store,
                case_id,
                args.kind,
                args.lang_doc,
                fields,
                fmt=args.format,
                paper=args.paper,
                allow_blanks=args.allow_blanks,
            )
        except service.MissingFieldsError as exc:
            print(
                "fairdesk: "
                + _(
                    "Required fields are missing, so nothing was generated; give them with "
                    "--field NAME=VALUE (or NAME=@file.txt), or render with --allow-blanks:"
                ),
                file=sys.stderr,
            )
            for missing in exc.missing:
                print(f"  --field {missing.name}=…   ({missing.describe()})", file=sys.stderr)
            return EXIT_MISSING
        out = Path(args.out).expanduser()
        _write(out, result.data)
        cover_out: Path | None = None
        if result.cover:
            cover_out = (
                Path(args.cover_out).expanduser()
                if args.cover_out
                else out.with_name(f"{out.stem}.cover{out.suffix}")
            )
            _write(cover_out, result.cover)
    finally:
        store.close()
    for warning in result.warnings:
        print(_("warning: {text}").format(text=warning), file=sys.stderr)
    doc = result.document
    if args.json:
        print_json(
            {
                "out": str(out),
                "id": doc.id if doc else None,
                "version": doc.version if doc else None,
                "sha256": doc.sha256 if doc else None,
                "doc_ref": result.doc_ref,
                "pages": result.pages,
                "warnings": list(result.warnings),
                "cover_out": str(cover_out) if cover_out else None,
            }
        )
    elif doc is not None:
        print(
            _("{out}: {title}, version {version}, SHA-256 {sha}").format(
                out=out, title=doc.title, version=doc.version, sha=doc.sha256
            )
        )
    return 0


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(data)
    tmp.replace(path)


def register(subparsers: Any) -> None:
    """Add ``doc kinds`` and ``doc render`` to the ``fairdesk`` parser."""
    doc = add_subcommand(subparsers, "doc", _("response documents (PDF, DOCX)"))
    sub = doc.add_subparsers(dest="doc_command", metavar="SUBCOMMAND", required=True)

    kinds = add_subcommand(sub, "kinds", _("list document kinds and their languages"))
    kinds.add_argument("--json", action="store_true", help=_("machine-readable output"))
    kinds.add_argument(
        "--case", metavar="CASE", help=_("only the kinds that fit this case (id or number)")
    )
    kinds.set_defaults(handler=_kinds)

    # Not add_subcommand: the document's language is --doc-lang; the old spelling --lang
    # still means the document here (scripts use it), so the messages' language is given
    # before the command (`fairdesk --lang zh_CN doc render …`) or by FAIRDESK_LANG / LANG.
    help_text = _("render a document for a case and store it")
    render = sub.add_parser(
        "render",
        help=help_text,
        description=help_text,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    render.__class__ = _RenderParser  # the kinds' fields are read only for --help
    render.add_argument(
        "--data-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help=_("data folder (default: FAIRDESK_DATA_DIR or the app-data folder)"),
    )
    render.add_argument(
        "--passphrase-file",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help=_(
            "file holding the passphrase of an encrypted data folder "
            "(default: FAIRDESK_PASSPHRASE_FILE)"
        ),
    )
    render.add_argument("case", metavar="CASE", help=_("case id or number"))
    render.add_argument("--kind", required=True, help=_("document kind (see `fairdesk doc kinds`)"))
    language = render.add_mutually_exclusive_group(required=True)
    # Two languages joined by "+" (zh+de) give both versions side by side in one document.
    codes = [*_DOC_LANGS, *(f"{a}+{b}" for a in _DOC_LANGS for b in _DOC_LANGS if a != b)]
    language.add_argument(
        "--doc-lang",
        dest="lang_doc",
        choices=codes,
        metavar="LANG",
        help=_(
            "language of the document: zh, en or de; two joined by + (e.g. zh+de) give both "
            "versions side by side in one document, with a note on which version governs"
        ),
    )
    language.add_argument(
        "--lang",
        dest="lang_doc",
        choices=codes,
        metavar="LANG",
        help=_("the same as --doc-lang (older spelling)"),
    )
    render.add_argument(
        "--format", choices=("pdf", "docx"), default="pdf", help=_("output format (default: pdf)")
    )
    render.add_argument(
        "--paper", choices=("a4", "letter"), default="a4", help=_("paper size (default: a4)")
    )
    render.add_argument(
        "--field",
        action="append",
        metavar="NAME=VALUE",
        help=_("a field value; repeat for more; NAME=@file reads a file; \\n starts a new line"),
    )
    render.add_argument(
        "--allow-blanks",
        action="store_true",
        help=_("render missing fields as marked blanks instead of failing"),
    )
    render.add_argument("--out", required=True, metavar="FILE", help=_("where to write the file"))
    render.add_argument(
        "--cover-out",
        metavar="FILE",
        help=_(
            "where to write our internal cover sheet (default: OUT with .cover before the ending)"
        ),
    )
    render.add_argument("--json", action="store_true", help=_("machine-readable output"))
    render.set_defaults(handler=_render)
