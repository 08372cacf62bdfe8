"""A library entry as rich text: fields with their source numbers, flags, gaps and sources.

Shared by the Library page and the Guidance tab. Everything from the data is HTML-escaped.
A gap is drawn as a grey "Gap: no verified information" note, never left out; a fact resting
on one source, an old source or an unverified statement is marked next to it. An entry past its
review date opens with a red "check before relying" bar. Contacts show phone, e-mail, address,
hours and language for use offline; a missing phone number is said, never left blank.
"""

from __future__ import annotations

from datetime import date
from html import escape

from fairdesk.i18n import N_, _
from fairdesk.knowledge.library import (
    CONFIDENCE_LABELS,
    DOCUMENT_LABELS,
    FIELD_LABELS,
    FLAG_LABELS,
    KIND_LABELS,
    PUBLISHED_UNKNOWN,
    SIDE_NOTES,
    SOURCE_TYPE_LABELS,
    Contact,
    Entry,
    Library,
    Text,
)
from ui.theme import AMBER_TEXT, BLUE, GREEN, INK_SOFT, MUTED_TEXT, PANEL, RED, WHITE

FLAG_COLOURS = {
    "old": AMBER_TEXT,
    "single_source": AMBER_TEXT,
    "unverified": RED,
    "sandbox_source": RED,
    "yearly": BLUE,
    "gap": MUTED_TEXT,
    "outdated": RED,
}
CONFIDENCE_COLOURS = {"high": GREEN, "medium": AMBER_TEXT, "low": RED}

# Strings used inside f-strings below (the extractor cannot see those), so that the
# translation catalog and its completeness test cover them.
_IN_F_STRINGS = (
    N_("single source"),
    N_("unverified"),
    N_("As of {date}"),
    N_("Confidence"),
    N_("Applies to"),
    N_("Contacts (public institutions)"),
    N_("Documents to prepare"),
    N_("No source: this is a recorded gap."),
    N_("published"),
    N_("checked"),
    N_("confidence"),
    N_("Sources"),
    N_("Review by {date}"),
    N_("Phone"),
    N_("E-mail"),
    N_("Address"),
    N_("Opening hours"),
    N_("Language"),
    N_("Source"),
    N_("No verified phone number: use the official page or e-mail."),
    N_(
        "Check before relying: the review date {date} has passed. The law or the contacts may have changed."
    ),
)


def _refs(text: Text) -> str:
    if not text.refs:
        return ""
    marks = "".join(f"[{r}]" for r in text.refs)
    single = f" · {escape(_('single source'))}" if len(text.refs) == 1 else ""
    return f' <span style="color:{MUTED_TEXT}; font-size:small">{marks}{single}</span>'


def text_html(text: Text) -> str:
    if text.gap:
        return (
            f'<span style="color:{MUTED_TEXT}; background:{PANEL}; font-style:italic">'
            f"{escape(text.get())}</span>"
        )
    body = escape(text.get())
    if text.unverified:
        body += f' <b style="color:{RED}">({escape(_("unverified"))})</b>'
    return body + _refs(text)


def flag_badges(entry: Entry, today: date | None = None) -> str:
    flags = list(entry.flags)
    if today is not None and entry.is_outdated(today):
        flags.append("outdated")
    return " ".join(
        f'<span style="color:{WHITE}; background:{FLAG_COLOURS[f]}; padding:1px 4px">'
        f"&nbsp;{escape(_(FLAG_LABELS[f]))}&nbsp;</span>"
        for f in flags
    )


def outdated_html(entry: Entry, today: date | None) -> str:
    """The red bar of an entry past its review date, else ""."""
    if today is None or not entry.is_outdated(today):
        return ""
    text = _(
        "Check before relying: the review date {date} has passed. The law or the contacts "
        "may have changed."
    ).format(date=entry.review_by)
    return (
        f'<p style="color:{WHITE}; background:{RED}; padding:4px"><b>&#9888; {escape(text)}</b></p>'
    )


def contact_html(contact: Contact) -> str:
    """One contact with everything needed to reach it offline."""
    role = f" — {escape(contact.role.get())}" if contact.role.en else ""
    lines = [f"<b>{escape(contact.name.get())}</b>{role}"]
    if contact.phone:
        lines.append(f"{escape(_('Phone'))}: <b>{escape(contact.phone_in())}</b>")
    else:
        lines.append(
            f'<span style="color:{AMBER_TEXT}">'
            f"{escape(_('No verified phone number: use the official page or e-mail.'))}</span>"
        )
    for label, value in (
        (_("E-mail"), contact.email),
        (_("Address"), contact.address),
        (_("Opening hours"), contact.hours_in()),
        (_("Language"), contact.language),
    ):
        if value:
            lines.append(f"{escape(label)}: {escape(value)}")
    if contact.url:
        lines.append(f'<a href="{escape(contact.url)}">{escape(contact.url)}</a>')
    marks = "".join(f"[{r}]" for r in contact.refs)
    lines.append(
        f'<span style="color:{MUTED_TEXT}; font-size:small">{escape(_("Source"))} {marks}</span>'
    )
    return "<br/>".join(lines)


def side_html(entry: Entry) -> str:
    """The line of a card only one side can use, else ""."""
    if entry.addressed_to is None:
        return ""
    return f"<p><b>{escape(_(SIDE_NOTES[entry.addressed_to]))}</b></p>"


def header_html(entry: Entry, today: date | None = None) -> str:
    conf = CONFIDENCE_COLOURS[entry.confidence]
    return (
        f'<h3 style="margin-bottom:2px">{escape(entry.title.get())}</h3>'
        f'<div style="color:{MUTED_TEXT}">{escape(_(KIND_LABELS[entry.kind]))} · {escape(entry.country)}'
        f" · {escape(_('As of {date}').format(date=entry.as_of or entry.checked))}"
        f" · {escape(_('Review by {date}').format(date=entry.review_by))}"
        f' · {escape(_("Confidence"))}: <b style="color:{conf}">'
        f"{escape(_(CONFIDENCE_LABELS[entry.confidence]))}</b>"
        f" · {escape(_('Applies to'))}: {escape(entry.applies_to.get())}</div>"
        f"<div>{flag_badges(entry, today)}</div>"
        f"{side_html(entry)}"
        f"{outdated_html(entry, today)}"
    )


def entry_html(entry: Entry, *, today: date | None = None, with_sources: bool = True) -> str:
    """The whole entry as HTML for a QTextBrowser."""
    parts = [header_html(entry, today), f"<p>{text_html(entry.summary)}</p>"]
    if entry.fields:
        rows = "".join(
            f'<tr><td style="padding:3px 10px 3px 0; color:{INK_SOFT}" valign="top"><b>'
            f"{escape(_(FIELD_LABELS[name]))}</b></td><td>{text_html(text)}</td></tr>"
            for name, text in entry.fields
        )
        parts.append(f'<table cellspacing="0">{rows}</table>')
    if entry.items:
        items = "".join(f"<li>{text_html(t)}</li>" for t in entry.items)
        parts.append(f"<ul>{items}</ul>")
    if entry.contacts:
        parts.append(f"<p><b>{escape(_('Contacts (public institutions)'))}</b></p><ul>")
        for contact in entry.contacts:
            parts.append(f'<li style="margin-bottom:6px">{contact_html(contact)}</li>')
        parts.append("</ul>")
    if entry.documents:
        docs = ", ".join(escape(_(DOCUMENT_LABELS[d])) for d in entry.documents)
        parts.append(f"<p><b>{escape(_('Documents to prepare'))}:</b> {docs}</p>")
    if with_sources:
        parts.append(sources_html(entry))
    return "".join(parts)


def sources_html(entry: Entry) -> str:
    if not entry.sources:
        return (
            f'<p style="color:{MUTED_TEXT}">{escape(_("No source: this is a recorded gap."))}</p>'
        )
    rows = []
    for s in entry.sources:
        published = _(PUBLISHED_UNKNOWN) if s.published == "unknown" else s.published
        rows.append(
            f'<li>[{s.ref}] <a href="{escape(s.url)}">{escape(s.title or s.url)}</a>'
            f'<br/><span style="color:{MUTED_TEXT}; font-size:small">'
            f"{escape(_(SOURCE_TYPE_LABELS[s.type]))} · {escape(_('published'))} "
            f"{escape(published)} · {escape(_('checked'))} {escape(s.checked)} · "
            f"{escape(_('confidence'))} {escape(_(CONFIDENCE_LABELS[s.confidence]))}</span></li>"
        )
    return f'<p><b>{escape(_("Sources"))}</b></p><ol style="margin-top:0">{"".join(rows)}</ol>'


def changelog_html(lib: Library) -> str:
    """Each edition's change log, newest first: what was corrected or added, and where."""
    if not lib.changelog:
        return f"<p>{escape(_('No change log for edition {edition}.').format(edition=lib.edition))}</p>"
    parts: list[str] = []
    for note in lib.changelog:
        parts.append(
            f"<h3>{escape(note.title.get())}</h3>"
            f'<div style="color:{MUTED_TEXT}">{escape(note.published_at)}</div><ul>'
        )
        for item in note.items:
            ids = ", ".join(item.entries)
            parts.append(
                f'<li style="margin-bottom:4px">{escape(item.text.get())}<br/>'
                f'<span style="color:{MUTED_TEXT}; font-size:small">{escape(ids)}</span></li>'
            )
        parts.append("</ul>")
    return "".join(parts)
