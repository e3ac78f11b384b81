"""reStructuredText issues (Pelican and Sphinx sites publish in it) → an HTML page, read as a
saved page is.

docutils parses the text (reference links resolved, sections nested by their underlines) and
writes HTML5, each section level a heading level from ``<h1>`` down. A field list under the
title (Pelican's ``:date:``, ``:title:``) is the issue's metadata, not its content. Nothing
outside the text is read: file inclusion and raw HTML are off, and docutils' complaints about
the markup stay quiet (it renders what it can).
"""

from __future__ import annotations

from typing import Any

from bot.content.blocks import Block
from bot.content.frontmatter import FrontMatter, front_matter_of
from bot.content.html import read_page

_SETTINGS = {
    "file_insertion_enabled": False,
    "raw_enabled": False,
    "report_level": 5,  # no system messages in the output
    "halt_level": 5,  # never stop on bad markup
    "warning_stream": False,
    "_disable_config": True,  # no docutils.conf from the working directory
    "input_encoding": "unicode",
    "output_encoding": "unicode",
    "embed_stylesheet": False,
    "stylesheet_path": "",
    # The title stays a section's heading (level 1, its sub-sections level 2), as in Markdown:
    # promoted to the document's title, a lone section under it would become a subtitle.
    "doctitle_xform": False,
    "initial_header_level": 1,
}


def _fields(doctree: Any) -> dict[str, str]:
    """The issue's fields (``:date: 2016-01-27``) at the top of the document or right under its
    first title, taken out of it."""
    from docutils import nodes

    top = doctree.children[0] if doctree.children else None
    if isinstance(top, nodes.section) and len(top.children) > 1:
        top = top.children[1]  # the first section's title is its first child
    fields: dict[str, str] = {}
    if isinstance(top, nodes.field_list | nodes.docinfo):
        for child in top.children:
            if isinstance(child, nodes.field):
                fields.setdefault(child[0].astext().strip(), child[1].astext().strip())
            else:
                fields.setdefault(child.tagname, child.astext().strip())
        top.parent.remove(top)
    return fields


def read_rst(text: str) -> tuple[FrontMatter, list[Block]]:
    """An issue's metadata and blocks from its reStructuredText; ``FrontMatterError`` for a
    number or date in its fields that cannot be read."""
    # Imported here: loading docutils costs a tenth of a second that folders without
    # reStructuredText never pay.
    from docutils.core import publish_doctree, publish_from_doctree
    from docutils.writers.html5_polyglot import Writer

    doctree = publish_doctree(text, settings_overrides=_SETTINGS)
    fields = _fields(doctree)
    html = publish_from_doctree(doctree, writer=Writer(), settings_overrides=_SETTINGS)
    page, blocks = read_page(html if isinstance(html, str) else html.decode("utf-8"))
    stated = front_matter_of(fields, lambda key: 1)
    return (
        FrontMatter(
            number=stated.number,
            year=stated.year if stated.month else page.year,
            month=stated.month or page.month,
            title=stated.title or page.title,
            url=stated.url or page.url,
            number_line=stated.number_line,
        ),
        blocks,
    )
