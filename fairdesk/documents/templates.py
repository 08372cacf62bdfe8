"""Finding and loading document templates: ``<root>/<kind>/<lang>/template.txt`` + ``meta.toml``.

Roots are searched in order: ``<data folder>/templates`` (a lawyer's additions or overrides,
no reinstall needed) and then the shipped ``resources/templates``. A kind is a folder; a
language is a sub-folder with ``template.txt`` (Jinja2 producing the block format of
:mod:`fairdesk.documents.blocks`) and ``meta.toml`` (title, required and optional fields,
jurisdiction notes, extra field definitions). Field labels shared by all templates live in
``fields.toml``, those of one kind (all its languages) in ``<kind>/fields.toml``; words and date formats per document language in ``labels/<lang>.toml``.

Templates render with ``StrictUndefined``: a misspelt field name is an error naming the
template file and line, never a silently empty spot in a legal document.
"""

from __future__ import annotations

import re
import tomllib
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from fairdesk.documents.applicability import Declaration, declaration
from fairdesk.documents.blocks import escape_value
from fairdesk.errors import FairDeskError
from fairdesk.i18n import _
from fairdesk.resources import resource_path

DOC_LANGUAGES = ("zh", "en", "de")
TEMPLATE_FILE = "template.txt"
META_FILE = "meta.toml"
FIELD_TYPES = ("line", "text", "lines", "rows")


class TemplateError(FairDeskError):
    """A template or its metadata is broken; the message names the file and line."""


@dataclass(frozen=True)
class FieldDef:
    """One named field: how to ask for it and how to read what the user typed."""

    name: str
    type: str = "line"  # line | text (paragraphs) | lines (a list) | rows (a table)
    labels: Mapping[str, str] = field(default_factory=dict)
    help: Mapping[str, str] = field(default_factory=dict)
    columns: Mapping[str, Sequence[str]] = field(default_factory=dict)
    required_columns: tuple[int, ...] = ()  # for rows: cells that must not be empty
    from_case: bool = False  # filled from the case when the case has it

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.labels.get("en") or self.name

    def help_text(self, language: str) -> str:
        return self.help.get(language) or self.help.get("en") or ""

    def column_names(self, language: str) -> list[str]:
        return list(self.columns.get(language) or self.columns.get("en") or [])


@dataclass(frozen=True)
class TemplateInfo:
    kind: str
    language: str
    folder: Path
    title: str
    description: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    jurisdiction_notes: str
    uses_evidence: bool
    group: str
    fields: Mapping[str, FieldDef]
    declaration: Declaration = field(default_factory=lambda: Declaration(kind=""))

    @property
    def signer(self) -> str:
        return self.declaration.signer

    @property
    def template_path(self) -> Path:
        return self.folder / TEMPLATE_FILE

    def display_name(self) -> str:
        return f"{self.kind}/{self.language}/{TEMPLATE_FILE}"


def shipped_root() -> Path:
    return resource_path("templates")


def roots(data_dir: Path | None = None) -> list[Path]:
    """Template folders, the user's own first."""
    out: list[Path] = []
    if data_dir is not None and (Path(data_dir) / "templates").is_dir():
        out.append(Path(data_dir) / "templates")
    out.append(shipped_root())
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(
            _("The template settings file {file} cannot be read: {error}").format(
                file=path, error=exc
            )
        ) from exc
    except OSError as exc:
        raise TemplateError(
            _("The template settings file {file} cannot be opened: {error}").format(
                file=path, error=exc.strerror
            )
        ) from exc


def _field_from(name: str, spec: Mapping[str, Any], where: Path) -> FieldDef:
    kind = str(spec.get("type", "line"))
    if kind not in FIELD_TYPES:
        raise TemplateError(
            _("In {file}, field {name} has unknown type {type} (use one of: {types}).").format(
                file=where, name=name, type=kind, types=", ".join(FIELD_TYPES)
            )
        )
    return FieldDef(
        name=name,
        type=kind,
        labels=dict(spec.get("label", {})),
        help=dict(spec.get("help", {})),
        columns={k: tuple(v) for k, v in dict(spec.get("columns", {})).items()},
        required_columns=tuple(int(c) for c in spec.get("required_columns", ())),
        from_case=bool(spec.get("from_case", False)),
    )


def shared_fields(data_dir: Path | None = None) -> dict[str, FieldDef]:
    """``fields.toml`` of every root; the user's root overrides the shipped one."""
    out: dict[str, FieldDef] = {}
    for root in reversed(roots(data_dir)):
        path = root / "fields.toml"
        if path.is_file():
            for name, spec in _read_toml(path).items():
                out[name] = _field_from(name, spec, path)
    return out


def labels(language: str, data_dir: Path | None = None) -> dict[str, Any]:
    """Words and formats for a document language (``labels/<lang>.toml``), English as fallback."""
    merged: dict[str, Any] = {}
    for lang in ("en", language):
        for root in reversed(roots(data_dir)):
            path = root / "labels" / f"{lang}.toml"
            if path.is_file():
                for section, values in _read_toml(path).items():
                    if isinstance(values, dict):
                        merged.setdefault(section, {}).update(values)
                    else:
                        merged[section] = values
    return merged


def _is_kind_folder(path: Path) -> bool:
    return path.is_dir() and not path.name.startswith(("_", ".")) and path.name != "labels"


def available(data_dir: Path | None = None) -> dict[str, list[str]]:
    """Kind → languages that have a template, across all roots."""
    found: dict[str, set[str]] = {}
    for root in roots(data_dir):
        if not root.is_dir():
            continue
        for kind_dir in sorted(root.iterdir()):
            if not _is_kind_folder(kind_dir):
                continue
            for lang_dir in kind_dir.iterdir():
                if (lang_dir / TEMPLATE_FILE).is_file() and (lang_dir / META_FILE).is_file():
                    found.setdefault(kind_dir.name, set()).add(lang_dir.name)
    order = {lang: i for i, lang in enumerate(DOC_LANGUAGES)}
    return {
        kind: sorted(langs, key=lambda x: (order.get(x, 99), x))
        for kind, langs in sorted(found.items())
    }


def load(kind: str, language: str, data_dir: Path | None = None) -> TemplateInfo:
    """The template for ``kind`` in ``language`` with its metadata (first root that has it)."""
    for root in roots(data_dir):
        folder = root / kind / language
        if (folder / TEMPLATE_FILE).is_file() and (folder / META_FILE).is_file():
            break
    else:
        kinds = available(data_dir)
        if kind not in kinds:
            raise TemplateError(
                _("There is no document kind {kind}. Available: {kinds}.").format(
                    kind=kind, kinds=", ".join(kinds) or "—"
                )
            )
        raise TemplateError(
            _(
                "The document kind {kind} has no template in language {lang}; available: {langs}."
            ).format(kind=kind, lang=language, langs=", ".join(kinds[kind]))
        )
    meta_path = folder / META_FILE
    meta = _read_toml(meta_path)
    fields = shared_fields(data_dir)
    # Fields of this kind in all its languages: ``<kind>/fields.toml``.
    for kind_root in reversed(roots(data_dir)):
        kind_fields = kind_root / kind / "fields.toml"
        if kind_fields.is_file():
            for name, spec in _read_toml(kind_fields).items():
                fields[name] = _field_from(name, spec, kind_fields)
    for name, spec in dict(meta.get("fields", {})).items():
        fields[name] = _field_from(name, spec, meta_path)
    required = tuple(meta.get("required", ()))
    optional = tuple(meta.get("optional", ()))
    for name in (*required, *optional):
        if name not in fields:
            raise TemplateError(
                _(
                    "{file} lists the field {name}, which is not defined in "
                    "fields.toml nor under [fields.{name}] in that file."
                ).format(file=meta_path, name=name)
            )
    return TemplateInfo(
        kind=kind,
        language=language,
        folder=folder,
        title=str(meta.get("title", kind)),
        description=str(meta.get("description", "")),
        required=required,
        optional=optional,
        jurisdiction_notes=str(meta.get("jurisdiction_notes", "")).strip(),
        uses_evidence=bool(meta.get("uses_evidence", False)),
        group=str(meta.get("group", kind)),
        fields=fields,
        declaration=declaration(kind, roots(data_dir)),
    )


def _environment(root: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        undefined=jinja2.StrictUndefined,
        finalize=escape_value,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _template_line(exc: BaseException, path: Path) -> int | None:
    """The template line Jinja was executing (its tracebacks carry template file and line)."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename and Path(frame.filename).resolve() == path.resolve():
            line = frame.lineno
    return line


def render_text(info: TemplateInfo, context: Mapping[str, Any]) -> str:
    """Render the template to block-format text; template faults become TemplateError."""
    path = info.template_path
    root = info.folder.parent.parent
    env = _environment(root)
    name = f"{info.kind}/{info.language}/{TEMPLATE_FILE}"
    try:
        template = env.get_template(name)
        return template.render(**context)
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or str(path)
        raise TemplateError(
            _("The template {file} has a syntax error at line {line}: {error}").format(
                file=where, line=exc.lineno, error=exc.message
            )
        ) from exc
    except jinja2.UndefinedError as exc:
        line = _template_line(exc, path)
        raise TemplateError(
            _(
                "The template {file} uses an unknown field at line {line}: "
                "{error}. Check the spelling against fields.toml."
            ).format(file=path, line=line or "?", error=exc.message)
        ) from exc
    except jinja2.TemplateError as exc:
        line = _template_line(exc, path)
        raise TemplateError(
            _("The template {file} failed at line {line}: {error}").format(
                file=path, line=line or "?", error=exc
            )
        ) from exc
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        line = _template_line(exc, path)
        raise TemplateError(
            _("The template {file} failed at line {line}: {error}").format(
                file=path, line=line or "?", error=exc
            )
        ) from exc


_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def unwrap(text: str) -> str:
    """Text written with hard line breaks (TOML notes) as paragraphs, one line each.

    Paragraphs stay separated by a blank line; lines inside one are joined with a space,
    except where Chinese meets Chinese (a space there is a visible gap).
    """
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        joined = ""
        for line in (part.strip() for part in block.splitlines()):
            if not line:
                continue
            if joined and not (_CJK.match(joined[-1]) and _CJK.match(line[0])):
                joined += " "
            joined += line
        if joined:
            paragraphs.append(joined)
    return "\n\n".join(paragraphs)
