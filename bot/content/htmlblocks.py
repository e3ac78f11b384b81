"""An HTML tree → blocks: the common reader for Markdown (rendered by cmark) and saved pages.

A list item is one block, its nested lines included; a link's text, a ``[tag]`` or bold
lead-in at the start of a block are kept apart, since they title what the block is about.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from bot.content.blocks import Block, BlockKind, find_links, tag_lead_in

#: What may stand before a link and still leave the link its title: a number ("3、", "3.")
#: and ``[video]`` tags.
_TAGS = re.compile(r"^\s*(?:\d{1,3}\s*[、.)．:]\s*)?((?:\[[^\[\]]{1,30}\]\s*)*)$")
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_LISTS = ("ul", "ol")
#: Elements that hold blocks of their own rather than inline text.
_BLOCK_TAGS = frozenset(("p", "ul", "ol", "li", "blockquote", "pre", "hr", *_HEADINGS))
#: Elements that group others: read as blocks of their own when they hold blocks (a section
#: inside a section), as inline text when they do not (a table cell's link).
_CONTAINERS = frozenset(
    "div section article main header footer aside nav figure table thead tbody tr td th dl "
    "dd details form fieldset address".split()
)


@dataclass
class _Inline:
    """One run of inline content rendered as plain text."""

    text: str = ""
    links: list[str] = field(default_factory=list)
    #: Texts of the links that have a text of their own (not the bare address).
    names: list[str] = field(default_factory=list)
    #: The title when the run opens with a link: its whole text, ``[tag]`` prefix kept.
    lead: str | None = None
    #: The bold text the run opens with ("**Foo**: …"), or its ``[tag]`` opening line.
    lead_in: str | None = None
    #: Whether the element holds blocks besides its inline content (left out of ``text``).
    holds_blocks: bool = False


def _text(element: etree._Element) -> str:
    """An element's text with its descendants' (comments left out), as ``string()`` in XPath."""
    return "".join(element.itertext()) if len(element) else element.text or ""


def _holds_blocks(element: etree._Element) -> bool:
    return any(_is_element(child) and child.tag in _BLOCK_TAGS for child in element.iter())


def _is_element(node: etree._Element) -> bool:
    """Elements, not comments (cmark marks dropped raw HTML with a comment)."""
    return node.tag.__class__ is str


def _render(element: etree._Element, loose: bool = False) -> _Inline:
    """The inline content of ``element`` (its block children left out) as plain text; with
    ``loose``, its containers are left out too (they are read as blocks of their own)."""
    parts: list[str] = [element.text or ""]
    inline = _Inline()
    opening = not parts[0].strip()  # nothing but white space so far
    for child in element:
        tag = child.tag
        if tag in _BLOCK_TAGS or (tag in _CONTAINERS and (loose or _holds_blocks(child))):
            inline.holds_blocks = True
        elif tag.__class__ is str:
            raw = _text(child) if tag != "img" else ""
            content = " ".join(raw.split())
            before = "".join(parts) if not inline.links else ""
            if tag == "a":
                _link(inline, child, content, before)
            elif len(child):  # links inside emphasis, a span, a table cell
                _nested_links(inline, child, raw, before)
            if tag == "strong" and opening:
                inline.lead_in = content.rstrip(":") if 0 < len(content.split()) <= 15 else None
            parts.append(raw if tag == "code" else content)
            opening = opening and not content
        tail = child.tail
        if tail:
            parts.append(tail)
            opening = opening and not tail.strip()
    inline.text = " ".join("".join(parts).split())
    inline.links += [url for url in find_links(inline.text) if url not in inline.links]
    inline.lead_in = inline.lead_in or tag_lead_in(inline.text)
    return inline


def _nested_links(inline: _Inline, child: etree._Element, raw: str, before: str) -> None:
    """The links inside an inline element ("**[Title](…)**"): one that opens it opens the run
    when the element does."""
    for anchor in child.iter("a"):
        name = " ".join(_text(anchor).split())
        opens = not inline.links and raw.lstrip().startswith(name) if name else False
        _link(inline, anchor, name, before if opens else "…")


_SCHEME = re.compile(r"^(?:https?://)?(?:www\.)?", re.IGNORECASE)


def _bare_address(name: str, href: str) -> bool:
    """Is a link's text its own address, whole or cut short, with or without the scheme
    ("flexboxin5.com/", "www.example.com/2015/02/post.html", "example.com/a/lo…")? Such a
    text names nothing: what it points at is named elsewhere (the heading above it). A bare
    domain ("libs.rs") is how a site is named: it stays a name."""
    if name == href:
        return True
    bare = _SCHEME.sub("", name)
    if bare == name and "/" not in name:
        return False  # "libs.rs", "rustaceans.com": a site named by its domain
    shown = bare.rstrip("…").removesuffix("...").rstrip("/")
    return "." in shown and " " not in shown and _SCHEME.sub("", href).startswith(shown)


def _link(inline: _Inline, anchor: etree._Element, name: str, before: str) -> None:
    href = anchor.get("href") or ""
    if not href or href[0] == "#":
        return  # no address, or a place on the same page: text, not a link
    inline.links.append(href)
    if not name or _bare_address(name, href):
        return
    inline.names.append(name)
    if inline.lead is not None or len(inline.links) != 1:
        return
    if not before or before.isspace():  # most links open their run: the title is their text
        inline.lead = name
    elif prefix := _TAGS.match(before):
        inline.lead = " ".join(f"{prefix.group(1)}{name}".split())


def _line(element: etree._Element, first_line: int) -> int:
    """The element's line: cmark's ``data-sourcepos``, else where the HTML parser found it."""
    position = element.get("data-sourcepos")
    if position is not None:
        return first_line + int(position.partition(":")[0]) - 1
    return first_line + (element.sourceline or 1) - 1


def _item_lines(item: etree._Element, nested: bool, lines: list[_Inline]) -> None:
    """Add a list item's own text, then its further paragraphs, quotes and nested items."""
    own = _render(item)
    if own.text:
        if nested:
            own.text = f"• {own.text}"
        lines.append(own)
    if not own.holds_blocks:
        return
    for child in item:
        tag = child.tag
        if tag in _LISTS:
            for sub in child:
                if _is_element(sub):
                    _item_lines(sub, True, lines)
        elif tag == "blockquote":
            _item_lines(child, nested, lines)
        elif tag == "p" or tag in _HEADINGS:
            lines.append(_render(child))


def _item_block(item: etree._Element, line: int) -> Block | None:
    lines: list[_Inline] = []
    _item_lines(item, False, lines)
    if len(lines) == 1:  # most items: one line
        return _block("item", lines[0], line)
    if not lines:
        return None
    first = lines[0]
    return Block(
        "item",
        "\n".join(inline.text for inline in lines),
        line,
        tuple(dict.fromkeys(link for inline in lines for link in inline.links)),
        lead=first.lead,
        lead_in=first.lead_in,
        names=tuple(name for inline in lines for name in inline.names),
    )


def element_blocks(parent: etree._Element, first_line: int = 1) -> Iterator[Block]:
    """The blocks under ``parent``: headings, paragraphs, list items (one block each, nested
    lines included), code; quotes and any other container (div, section, table) are read
    through, their loose text as a paragraph."""
    for element in parent:
        if not _is_element(element):
            continue
        line = _line(element, first_line)
        if element.tag in _LISTS:
            for item in element:
                if _is_element(item) and (block := _item_block(item, _line(item, first_line))):
                    yield block
        elif element.tag == "blockquote":
            yield from element_blocks(element, first_line)
        elif element.tag == "pre":
            yield Block("code", _text(element).rstrip("\n"), line)
        elif element.tag not in _HEADINGS and element.tag != "p":
            yield from _container_blocks(element, line, first_line)
        elif (inline := _render(element)).text:
            kind: BlockKind = "paragraph" if element.tag == "p" else "heading"
            yield _block(kind, inline, line, _HEADINGS.get(element.tag, 0))


def _container_blocks(element: etree._Element, line: int, first_line: int) -> Iterator[Block]:
    """A container's own loose text as a paragraph, then the blocks inside it."""
    if _holds_blocks(element):
        inline = _render(element, loose=True)
        if inline.text:
            yield _block("paragraph", inline, line)
        yield from element_blocks(element, first_line)
    elif (inline := _render(element)).text:
        yield _block("paragraph", inline, line)


def _block(kind: BlockKind, inline: _Inline, line: int, level: int = 0) -> Block:
    return Block(
        kind,
        inline.text,
        line,
        tuple(dict.fromkeys(inline.links)),
        level=level,
        lead=inline.lead,
        lead_in=inline.lead_in,
        names=tuple(inline.names),
    )
