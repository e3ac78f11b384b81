"""Markdown issues → blocks, through a CommonMark parser (markdown-it-py).

ATX and setext headings, reference links, nested and lazy list items and URLs with
parentheses come out as CommonMark defines them; HTML comments and raw HTML blocks are
skipped; inline code keeps its text verbatim. A list item is one block, its nested lines
included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.content.blocks import Block, BlockKind, find_links, tag_lead_in

_PARSER = MarkdownIt("commonmark")
# Addresses are kept as written: percent-encoding them is slow and changes what readers see.
_PARSER.normalizeLink = str  # type: ignore[method-assign,assignment]
#: What may stand before a link and still leave the link its title: a number ("3、", "3.")
#: and ``[video]`` tags.
_TAGS = re.compile(r"^\s*(?:\d{1,3}\s*[、.)．:]\s*)?((?:\[[^\[\]]{1,30}\]\s*)*)$")


@dataclass
class _Inline:
    """One run of inline content rendered as plain text."""

    text: str
    links: tuple[str, ...]
    #: The title when the run opens with a link: its whole text, ``[tag]`` prefix kept.
    lead: str | None = None
    #: Texts of the links that have a text of their own (not the bare address).
    names: tuple[str, ...] = ()
    #: The bold text the run opens with ("**Foo**: …"), or its ``[tag]`` opening line.
    lead_in: str | None = None


def _render(children: list[Token]) -> _Inline:
    parts: list[str] = []
    links: list[str] = []
    names: list[str] = []
    lead: str | None = None
    link_start: int | None = None
    href = ""
    for token in children:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.type == "link_open":
            href = str(token.attrs.get("href", ""))
            links.append(href)
            link_start = len(parts)
        elif token.type == "link_close" and link_start is not None:
            name = " ".join("".join(parts[link_start:]).split())
            if name and name != href:
                names.append(name)
                prefix = _TAGS.match("".join(parts[:link_start]))
                if lead is None and len(links) == 1 and prefix:
                    lead = " ".join(f"{prefix.group(1)}{name}".split())
            link_start = None
    text = " ".join("".join(parts).split())
    for url in find_links(text):
        if url not in links:
            links.append(url)
    lead_in = _bold_opening(children) or tag_lead_in(text)
    return _Inline(text, tuple(dict.fromkeys(links)), lead, tuple(names), lead_in)


def _bold_opening(children: list[Token]) -> str | None:
    """The text of a bold run that opens the inline content, if it is short enough to title."""
    children = [t for t in children if t.type != "text" or t.content.strip()]
    if not children or children[0].type != "strong_open":
        return None
    end = next((i for i, t in enumerate(children) if t.type == "strong_close"), 0)
    words = "".join(t.content for t in children[1:end]).split()
    return " ".join(words).rstrip(":") if 0 < len(words) <= 15 else None


@dataclass
class _Item:
    """A top-level list item being collected, nested lines and all."""

    line: int
    parts: list[_Inline] = field(default_factory=list)
    depth: int = 0

    def block(self) -> Block | None:
        lines = [p.text for p in self.parts if p.text]
        if not lines:
            return None
        first = self.parts[0]
        links = tuple(dict.fromkeys(link for p in self.parts for link in p.links))
        names = tuple(name for p in self.parts for name in p.names)
        return Block(
            "item",
            "\n".join(lines),
            self.line,
            links,
            lead=first.lead,
            names=names,
            lead_in=first.lead_in,
        )


def markdown_blocks(text: str, first_line: int) -> list[Block]:
    """The blocks of a Markdown body whose first line is ``first_line`` in its file."""
    blocks: list[Block] = []
    item: _Item | None = None
    heading_level = 0
    for token in _PARSER.parse(text):
        line = first_line + (token.map[0] if token.map else 0)
        if token.type == "list_item_open":
            if item is None:
                item = _Item(line)
            item.depth += 1
        elif token.type == "list_item_close" and item is not None:
            item.depth -= 1
            if item.depth == 0:
                block = item.block()
                if block is not None:
                    blocks.append(block)
                item = None
        elif token.type == "heading_open":
            heading_level = int(token.tag[1])
        elif token.type == "heading_close":
            heading_level = 0
        elif token.type in ("fence", "code_block") and item is None:
            blocks.append(Block("code", token.content.rstrip("\n"), line))
        elif token.type == "inline":
            inline = _render(token.children or [])
            if item is not None:
                nested = item.depth > 1 or bool(item.parts)
                if nested and inline.text:
                    inline.text = ("• " if item.depth > 1 else "") + inline.text
                item.parts.append(inline)
            elif inline.text:
                kind: BlockKind = "heading" if heading_level else "paragraph"
                blocks.append(
                    Block(
                        kind,
                        inline.text,
                        line,
                        inline.links,
                        level=heading_level,
                        lead=inline.lead,
                        names=inline.names,
                        lead_in=inline.lead_in,
                    )
                )
    return blocks
