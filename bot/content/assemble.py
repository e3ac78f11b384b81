"""Blocks → resources: cut the preamble and footer, find sections, group lists, title things."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.content.blocks import Block, clean_heading
from bot.content.models import Resource
from bot.content.segment import segment

MAX_TITLE_CHARS = 200
_ITEM_TITLE = re.compile(r"^(?P<title>.{3,120}?)\s+[—–-]\s+\S")
_FIRST_SENTENCE = re.compile(r"^(?P<sentence>.+?[.!?])(?:\s|$)")


@dataclass(frozen=True)
class Rules:
    """Compiled parser rules (see ``bot.config.ParserRules``)."""

    section_headings: tuple[re.Pattern[str], ...]
    boilerplate: tuple[re.Pattern[str], ...]
    end_markers: tuple[re.Pattern[str], ...]
    caption_markers: tuple[re.Pattern[str], ...]

    @classmethod
    def compile(
        cls,
        section_headings: tuple[str, ...] = (),
        boilerplate: tuple[str, ...] = (),
        end_markers: tuple[str, ...] = (),
        caption_markers: tuple[str, ...] = (),
    ) -> Rules:
        def build(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
            return tuple(re.compile(p, re.IGNORECASE) for p in patterns)

        return cls(
            build(section_headings), build(boilerplate), build(end_markers), build(caption_markers)
        )


def _matches(patterns: tuple[re.Pattern[str], ...], text: str) -> bool:
    return any(p.search(text) for p in patterns)


def shorten(text: str, limit: int = MAX_TITLE_CHARS) -> str:
    """Cut ``text`` at a word boundary to at most ``limit`` characters, marking the cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:—–-")
    return cut + "…"


def _first_sentence(text: str, limit: int = 120) -> str:
    sentence = _FIRST_SENTENCE.match(text)
    return shorten((sentence.group("sentence") if sentence else text).strip(), limit)


def _item_title(text: str) -> str:
    """A list item's title: the part before a dash, else its first sentence."""
    match = _ITEM_TITLE.match(text)
    return match.group("title").strip() if match else _first_sentence(text)


def _text(blocks: list[Block]) -> str:
    return "\n".join(f"• {b.text}" if b.kind == "item" else b.text for b in blocks)


def _links(blocks: list[Block]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(link for b in blocks for link in b.links))


def _named_section(block: Block, rules: Rules, section_level: int | None) -> bool:
    if block.level and section_level is not None:
        return block.level <= section_level
    return _matches(rules.section_headings, clean_heading(block.text))


def _opens_section(blocks: list[Block], index: int) -> bool:
    """A heading straight above another heading holds no resource of its own: a section."""
    following = blocks[index + 1] if index + 1 < len(blocks) else None
    return following is not None and following.kind == "heading"


def assemble(blocks: list[Block], rules: Rules) -> list[Resource]:
    """Turn an issue's blocks into its resources."""
    # The footer starts at the first end marker.
    for index, block in enumerate(blocks):
        if block.kind != "code" and _matches(rules.end_markers, block.text):
            blocks = blocks[:index]
            break
    blocks = [b for b in blocks if b.kind == "code" or not _matches(rules.boilerplate, b.text)]
    levels = sorted({b.level for b in blocks if b.kind == "heading" and b.level > 1})
    # Markdown: with two heading levels below the title, the upper one holds sections.
    section_level = levels[0] if len(levels) > 1 else (1 if levels else None)
    headings = [i for i, b in enumerate(blocks) if b.kind == "heading" and b.level != 1]
    named = [i for i in headings if _named_section(blocks[i], rules, section_level)]
    # The preamble (title, author, greeting) runs to the first section the rules name, else
    # to the first heading.
    if not headings:
        start = next((i for i, b in enumerate(blocks) if b.kind == "heading"), -1) + 1
        return _segment_resources(blocks[start:])
    start = (named or headings)[0]
    sections = set(named) | {i for i in headings if i >= start and _opens_section(blocks, i)}

    resources: list[Resource] = []
    section: str | None = None
    heading: Block | None = None
    body: list[Block] = []

    def flush() -> None:
        prose = [b for b in body if b.kind == "paragraph"]
        items = [b for b in body if b.kind == "item"]
        if heading is not None and (prose or len(items) < 2):
            resources.append(
                Resource(
                    title=shorten(clean_heading(heading.text)),
                    text=_text(body),
                    links=_links([heading, *body]),
                    section=section,
                )
            )
        else:
            # A heading with nothing but a list, or a list straight under a section: each
            # item is a resource of its own, and the heading names their section if no
            # section does. Prose straight under a section is its intro.
            if heading is None and section is None:
                return  # a list in the introduction
            group = section or (clean_heading(heading.text) if heading is not None else None)
            for item in items:
                resources.append(
                    Resource(
                        title=_item_title(item.text),
                        text=item.text,
                        links=item.links,
                        section=group,
                    )
                )

    for index in range(start, len(blocks)):
        block = blocks[index]
        if index in sections or (block.kind == "heading" and block.level == 1):
            flush()
            section = clean_heading(block.text) if block.level != 1 else None
            heading, body = None, []
        elif block.kind == "heading":
            flush()
            heading, body = block, []
        else:
            body.append(block)
    flush()
    return resources


def _segment_resources(blocks: list[Block]) -> list[Resource]:
    """Resources for an issue whose text has no headings at all."""
    paragraphs = [b for b in blocks if b.kind != "code"]
    resources = []
    for indexes in segment([b.text for b in paragraphs]):
        part = [paragraphs[i] for i in indexes]
        resources.append(
            Resource(title=_first_sentence(part[0].text), text=_text(part), links=_links(part))
        )
    return resources
