"""Markdown issues → blocks, through the CommonMark reference parser (cmark, via cmarkgfm).

ATX and setext headings, reference links, nested and lazy list items and URLs with
parentheses come out as CommonMark defines them; HTML comments and raw HTML are dropped by
cmark's safe mode; inline code keeps its text verbatim. cmark renders HTML with each block's
source lines, which ``htmlblocks`` reads back into blocks.
"""

from __future__ import annotations

import cmarkgfm
from cmarkgfm.cmark import Options
from lxml import etree

from bot.content.blocks import Block
from bot.content.htmlblocks import element_blocks

#: Plain lxml elements: ``lxml.html``'s own parser calls back into Python for every element
#: it hands out, a tenth of the time spent reading a large issue.
_PARSER = etree.HTMLParser()


def markdown_blocks(text: str, first_line: int) -> list[Block]:
    """The blocks of a Markdown body whose first line is ``first_line`` in its file."""
    html = cmarkgfm.markdown_to_html(text, options=Options.CMARK_OPT_SOURCEPOS)
    if not html.strip():
        return []
    document = etree.fromstring(f"<div>{html}</div>", _PARSER)  # <html><body><div>
    return list(element_blocks(document[0][0], first_line))
