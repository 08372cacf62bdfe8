"""CJK line breaking for reportlab: a line never starts with closing punctuation.

Reportlab breaks a run of Chinese text (which has no spaces) at whatever character reaches
the end of the line, so "（撤下或遮盖）；" could put "；" alone at the start of the next line —
something no Chinese typesetter does (kinsoku shori). Its own ``wordWrap="CJK"`` mode knows
this rule but also splits Latin words and numbers anywhere, which is worse in our bilingual
documents. So we keep the default wrapping and fix its two word-splitting helpers: closing
punctuation that would start a line hangs at the end of the previous line instead.

:func:`install` patches ``reportlab.platypus.paragraph`` once; it is called by the PDF writer.
"""

from __future__ import annotations

from typing import Any

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import paragraph as _rl

# Characters that must not begin a line (closing brackets, CJK and Latin stops, iteration
# marks, small kana): the common core of the JIS X 4051 / GB/T 15834 rules.
NO_LINE_START = frozenset(
    "，。、；：？！）］｝〕〉》」』】〗〙〛”’%‰℃…—・·,.;:?!)]}»›ー々ゝゞヽヾぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ"
)

_installed = False


def _leading_closers(text: str) -> str:
    n = 0
    while n < len(text) and text[n] in NO_LINE_START:
        n += 1
    return text[:n]


def _fix_plain(pieces: list[Any]) -> list[Any]:
    """Move closing punctuation from the start of a piece to the end of the one before."""
    out = list(pieces)
    i = 1
    while i < len(out):
        lead = _leading_closers(str(out[i]))
        if lead:
            prev, cur = out[i - 1], out[i]
            rest = str(cur)[len(lead) :]
            if rest:
                out[i - 1] = type(prev)(str(prev) + lead)
                out[i] = type(cur)(rest)
            else:  # the piece was only punctuation: it joins the previous piece entirely
                out[i - 1] = type(cur)(str(prev) + lead)
                del out[i]
                continue
        i += 1
    return out


def _fix_frags(pieces: list[Any]) -> list[Any]:
    """The same for frag words: ``[width, (frag, text), …]`` lists (styled runs)."""
    out = list(pieces)
    i = 1
    while i < len(out):
        cur = out[i]
        if len(cur) < 2:
            i += 1
            continue
        frag, text = cur[1]
        lead = _leading_closers(text)
        if not lead:
            i += 1
            continue
        width = stringWidth(lead, frag.fontName, frag.fontSize)
        moved = frag.clone()
        if hasattr(moved, "text"):
            moved.text = lead
        prev = out[i - 1]
        prev.append((moved, lead))
        prev[0] += width
        rest = text[len(lead) :]
        if rest:
            kept = frag.clone()
            if hasattr(kept, "text"):
                kept.text = rest
            cur[1] = (kept, rest)
            cur[0] -= width
            i += 1
        elif len(cur) > 2:
            del cur[1]
            cur[0] -= width
            i += 1
        else:  # nothing left in this piece: the previous one ends the word
            out[i - 1] = type(cur)(prev)
            del out[i]
    return out


def install() -> None:
    """Patch reportlab's word splitters once (idempotent)."""
    global _installed
    if _installed:
        return
    split_word = _rl._splitWord
    split_frag_word = _rl._splitFragWord

    def kinsoku_split_word(*args: Any, **kwargs: Any) -> list[Any]:
        return _fix_plain(split_word(*args, **kwargs))

    def kinsoku_split_frag_word(*args: Any, **kwargs: Any) -> list[Any]:
        return _fix_frags(split_frag_word(*args, **kwargs))

    _rl._splitWord = kinsoku_split_word
    _rl._splitFragWord = kinsoku_split_frag_word
    _installed = True
