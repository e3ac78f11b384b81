"""Markdown issues → blocks, through the CommonMark reference parser (cmark, via cmarkgfm).

ATX and setext headings, reference links, nested and lazy list items and URLs with
parentheses come out as CommonMark defines them; HTML comments and raw HTML are dropped by
cmark's safe mode; inline code keeps its text verbatim. cmark renders HTML with each block's
source lines, which ``htmlblocks`` reads back into blocks.
"""

from __future__ import annotations

import re

import cmarkgfm
from cmarkgfm.cmark import Options
from lxml import etree

from bot.content.blocks import Block
from bot.content.htmlblocks import element_blocks

#: cmark's HTML in safe mode is well-formed XML (its own tags, text escaped, no raw HTML), and
#: an XML parser reads it in about two thirds of the time an HTML parser takes. ``huge_tree``
#: lifts libxml2's limits (a depth of 256, a text of 10 MB), past which the HTML parser drops
#: the rest of the document without a word: the input is cmark's output of one issue.
_XML = etree.XMLParser(resolve_entities=False, no_network=True, collect_ids=False, huge_tree=True)
#: For what XML refuses (control characters in the text): HTML parsers take anything.
_HTML = etree.HTMLParser(encoding="utf-8", no_network=True, collect_ids=False, huge_tree=True)
#: References to U+FFFE and U+FFFF, which cmark turns into bytes that are not UTF-8.
_NONCHARACTER_REF = re.compile(r"&#(?:[xX]0*[fF]{3}[eEfF]|0*6553[45]);")


def markdown_blocks(text: str, first_line: int) -> list[Block]:
    """The blocks of a Markdown body whose first line is ``first_line`` in its file."""
    text = _NONCHARACTER_REF.sub("\ufffd", text)
    html = cmarkgfm.markdown_to_html(text, options=Options.CMARK_OPT_SOURCEPOS)
    if not html.strip():
        return []
    # As bytes: lxml reads a str through a wide-character encoding, a fifth slower.
    document = f"<div>{html}</div>".encode()
    try:
        root = etree.fromstring(document, _XML)
    except etree.XMLSyntaxError:
        root = etree.fromstring(document, _HTML)[0][0]  # <html><body><div>
    return list(element_blocks(root, first_line))
