"""Chinese lines never start with closing punctuation, in plain and in styled (bold) text."""

from __future__ import annotations

import pytest
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph

from fairdesk.documents import cjkbreak, fonts

TEXT = "依据展会知识产权保护规则，对被投诉人在上述展位展出的涉嫌侵权展品予以处理（撤下或遮盖）；后面还有文字，用来测试换行。"


def _lines(markup: str, width: float) -> list[str]:
    style = ParagraphStyle("t", fontName=fonts.FAMILY, fontSize=10.5, leading=15)
    para = Paragraph(markup, style)
    para.wrap(width, 10_000)
    out = []
    for line in para.blPara.lines:
        if isinstance(line, tuple):
            out.append("".join(line[1]))
        else:
            out.append("".join(f.text for f in line.words))
    return out


@pytest.mark.parametrize("markup, plain", [(TEXT, TEXT), ("<b>粗体</b>" + TEXT, "粗体" + TEXT)])
def test_no_line_starts_with_closing_punctuation(markup: str, plain: str) -> None:
    fonts.register()
    cjkbreak.install()
    for width in range(200, 460, 3):  # every width at which a break falls near "；" or "，"
        lines = _lines(markup, width)
        assert "".join(lines) == plain, width  # nothing lost or doubled
        starts = [line[:1] for line in lines[1:]]
        assert not [s for s in starts if s in cjkbreak.NO_LINE_START], (width, lines)
