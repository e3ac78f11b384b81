"""Markdown issues → blocks: ``#`` headings, paragraphs, list items, ``[text](url)`` links."""

from __future__ import annotations

import re

from bot.content.blocks import Block, find_links

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(.*)$")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\((\S+?)(?:\s+\"[^\"]*\")?\)")
_AUTOLINK = re.compile(r"<(https?://[^>]+)>")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")
_FENCE = re.compile(r"^\s*(```|~~~)")


def _inline(text: str) -> tuple[str, tuple[str, ...]]:
    """Markdown inline markup → plain text and the addresses it links to."""
    text = _IMAGE.sub("", text)
    links = [match.group(2) for match in _LINK.finditer(text)]
    text = _LINK.sub(r"\1", text)
    links += _AUTOLINK.findall(text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\2", text)
    for url in find_links(text):
        if url not in links:
            links.append(url)
    return " ".join(text.split()), tuple(dict.fromkeys(links))


def markdown_blocks(text: str, first_line: int) -> list[Block]:
    blocks: list[Block] = []
    paragraph: list[str] = []
    paragraph_line = first_line
    in_code = False

    def flush() -> None:
        if paragraph:
            plain, links = _inline(" ".join(paragraph))
            if plain:
                blocks.append(Block("paragraph", plain, paragraph_line, links))
            paragraph.clear()

    for offset, raw in enumerate(text.split("\n")):
        line = first_line + offset
        if _FENCE.match(raw):
            flush()
            in_code = not in_code
            continue
        if in_code:
            blocks.append(Block("code", raw, line))
            continue
        heading = _HEADING.match(raw)
        item = _ITEM.match(raw)
        if not raw.strip():
            flush()
        elif heading:
            flush()
            plain, links = _inline(heading.group(2))
            if plain:
                blocks.append(Block("heading", plain, line, links, level=len(heading.group(1))))
        elif item:
            flush()
            plain, links = _inline(item.group(1))
            if plain:
                blocks.append(Block("item", plain, line, links))
        elif raw.startswith(">"):
            if not paragraph:
                paragraph_line = line
            paragraph.append(raw.lstrip("> "))
        else:
            if not paragraph:
                paragraph_line = line
            paragraph.append(raw.strip())
    flush()
    return blocks
