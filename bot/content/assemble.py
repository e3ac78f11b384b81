"""Blocks → resources: cut the preamble and footer, find sections, group lists, title things."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from bot.content.blocks import STOPWORDS, Block, clean_heading, words
from bot.content.models import Dropped, DropReason, Resource
from bot.content.segment import segment, split_after

MAX_TITLE_CHARS = 200
#: "Title — description", "Title – description", "Title - description".
_ITEM_TITLE = re.compile(r"^(?P<title>.{3,120}?)\s+[—–-]\s+\S")
_FIRST_SENTENCE = re.compile(r"^(?P<sentence>.+?[.!?])(?:\s|$)")
#: A line that gives a resource's address: "Link: …", "Source: …", "Read more: …".
_LINK_MARKER = re.compile(r"^(?:link|source|read (?:it|more)|via|url)\s*:", re.IGNORECASE)
#: A paragraph longer than this is an introduction, not a one-link pointer at one thing.
_POINTER_WORDS = 40
#: Link texts that point at a document rather than name a thing.
_GENERIC_NAMES = frozenset(
    "here link this paper post article video blog more source page site thread docs".split()
)


#: A reference to a group by number or name (a backreference, a conditional): such a pattern
#: can't be joined to others, which renumbers their groups.
_BACKREFERENCE = re.compile(r"\\\d|\(\?P=|\(\?\(")


def _anchored(pattern: str) -> bool:
    """Can ``pattern`` match only at a text's start: does it open with ``^`` and have no ``|``
    outside its groups and brackets? A comment (``(?#…)``, ``#`` in verbose mode) may hide
    brackets: such a pattern counts as not anchored."""
    if not pattern.startswith("^") or "#" in pattern:
        return False
    depth, escaped, bracket = 0, False, -1  # where the open [...] starts, -1 outside one
    for index, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif bracket >= 0:  # a "]" first in brackets (after any "^") is a plain character
            opening = pattern[bracket + 1 : index] in ("", "^")
            bracket = -1 if char == "]" and not opening else bracket
        elif char == "[":
            bracket = index
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth == 0:
            return False
    return True


def _joined(patterns: list[str]) -> tuple[re.Pattern[str], ...]:
    compiled = tuple(re.compile(p, re.IGNORECASE) for p in patterns)
    if len(compiled) < 2 or any(_BACKREFERENCE.search(p) for p in patterns):
        return compiled
    try:
        return (re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE),)
    except re.error:  # inline flags that only work at a pattern's start
        return compiled


@dataclass(frozen=True)
class Patterns:
    """Case-insensitive patterns asked together whether any of them matches a text.

    The parser asks this of every block: the patterns are joined into one search, and those
    anchored at the start ("^hey everyone") are tried at the start only rather than at every
    position of the text.
    """

    at_start: tuple[re.Pattern[str], ...] = ()
    anywhere: tuple[re.Pattern[str], ...] = ()

    @classmethod
    def compile(cls, patterns: tuple[str, ...]) -> Patterns:
        """``re.error`` for a pattern that is not a regular expression."""
        anchored = [p for p in patterns if _anchored(p)]
        return cls(_joined(anchored), _joined([p for p in patterns if p not in anchored]))

    def found_in(self, text: str) -> bool:
        for pattern in self.at_start:
            if pattern.match(text):
                return True
        for pattern in self.anywhere:  # noqa: SIM110 (a loop: no generator per call)
            if pattern.search(text):
                return True
        return False


@dataclass(frozen=True)
class Rules:
    """Compiled parser rules (see ``bot.config.ParserRules``)."""

    section_headings: Patterns
    boilerplate: Patterns
    end_markers: Patterns
    caption_markers: Patterns

    @classmethod
    def compile(
        cls,
        section_headings: tuple[str, ...] = (),
        boilerplate: tuple[str, ...] = (),
        end_markers: tuple[str, ...] = (),
        caption_markers: tuple[str, ...] = (),
    ) -> Rules:
        return cls(
            *map(Patterns.compile, (section_headings, boilerplate, end_markers, caption_markers))
        )


def shorten(text: str, limit: int = MAX_TITLE_CHARS) -> str:
    """Cut ``text`` at a word boundary to at most ``limit`` characters, marking the cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:—–-")
    return cut + "…"


def _first_sentence(text: str, limit: int = 120) -> str:
    sentence = _FIRST_SENTENCE.match(text)
    return shorten((sentence.group("sentence") if sentence else text).strip(), limit)


def _item_title(item: Block) -> str:
    """A list item's title: its leading link's whole text, else the part before a dash,
    else its first sentence."""
    if item.lead or item.lead_in:
        return shorten(item.lead or item.lead_in or "")
    first = item.text.split("\n", 1)[0]
    match = _ITEM_TITLE.match(first)
    return match.group("title").strip() if match else _first_sentence(first)


def _text(blocks: list[Block]) -> str:
    return "\n".join(f"• {b.text}" if b.kind == "item" else b.text for b in blocks)


def _run_text(run: list[Block]) -> str:
    """The text of blocks that make one resource; an item alone needs no bullet."""
    return run[0].text if len(run) == 1 else _text(run)


def _links(blocks: list[Block]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(link for b in blocks for link in b.links))


def _opens_section(blocks: list[Block], index: int) -> bool:
    """A heading straight above another heading holds no resource of its own: a section."""
    following = blocks[index + 1] if index + 1 < len(blocks) else None
    return following is not None and following.kind == "heading"


@dataclass
class _Part:
    """A heading (or none) and the blocks under it, inside a section (or none)."""

    section: str | None
    heading: Block | None
    body: list[Block] = field(default_factory=list)


def _note(dropped: list[Dropped] | None, blocks: list[Block], why: DropReason) -> None:
    if dropped is not None:
        dropped += [Dropped(b.text, why) for b in blocks if b.text.strip()]


def _cut_footer(
    blocks: list[Block], rules: Rules, dropped: list[Dropped] | None = None
) -> list[Block]:
    """Everything from the first end marker on is the sign-off and footer."""
    for index, block in enumerate(blocks):
        if block.kind != "code" and rules.end_markers.found_in(block.text):
            _note(dropped, blocks[index:], "end marker")
            return blocks[:index]
    return blocks


def _drop_boilerplate(
    blocks: list[Block], rules: Rules, dropped: list[Dropped] | None = None
) -> list[Block]:
    kept = [b for b in blocks if b.kind == "code" or not rules.boilerplate.found_in(b.text)]
    if len(kept) < len(blocks):
        _note(dropped, [b for b in blocks if b not in kept], "boilerplate")
    return kept


def _section_level(blocks: list[Block], headings: list[int]) -> int | None:
    """The shallowest Markdown heading level whose headings hold deeper headings (the next
    heading is deeper)."""
    levels = [blocks[i].level for i in headings if blocks[i].level]
    return min(
        (level for level, following in itertools.pairwise(levels) if following > level),
        default=None,
    )


def _section_indexes(
    blocks: list[Block], headings: list[int], rules: Rules
) -> tuple[int, set[int]]:
    """Where the resources start, and which headings open a section rather than a resource.

    A heading is a section when the rules name it, when it is on or above the shallowest
    Markdown level that holds sub-headings, or when another heading follows it straight away.
    The preamble (title, author, greeting) runs to the first section the rules name, else the
    first heading.
    """
    section_level = _section_level(blocks, headings)
    named = [
        i
        for i in headings
        if (section_level is not None and 0 < blocks[i].level <= section_level)
        or rules.section_headings.found_in(clean_heading(blocks[i].text))
    ]
    start = (named or headings)[0]
    following = {i for i in headings if i >= start and _opens_section(blocks, i)}
    return start, set(named) | following


def _parts(blocks: list[Block], start: int, sections: set[int]) -> list[_Part]:
    parts = [_Part(None, None)]
    for index in range(start, len(blocks)):
        block = blocks[index]
        if index in sections:
            parts.append(_Part(clean_heading(block.text), None))
        elif block.kind == "heading":
            parts.append(_Part(parts[-1].section, block))
        else:
            parts[-1].body.append(block)
    return parts


def _names_a_thing(text: str) -> bool:
    """Does a link's text name something ("heck", "Herm's", "DuckDB"), rather than point at
    a document ("the paper", "here") or run as a phrase ("merged in the last week")?"""
    found = words(text)
    if not found or found[-1] in _GENERIC_NAMES or len(found) > 6:
        return False
    return not (text.islower() and any(w in STOPWORDS for w in found))


def _pointer(body: list[Block], section: str | None) -> Resource | None:
    """A heading or section opened by a short paragraph naming one linked thing ("This
    week's crate is [foo](…), a …") is that thing: titled by the link's text, the heading as
    its section."""
    first = body[0] if body else None
    if (
        first is None
        or first.kind != "paragraph"
        or len(first.names) != 1
        or len(first.text.split()) > _POINTER_WORDS
        or not _names_a_thing(first.names[0])
    ):
        return None
    prose = [b for b in body if b.kind == "paragraph"]
    return Resource(shorten(first.names[0]), _text(prose), _links(prose), section)


def _item_resources(items: list[Block], section: str | None) -> list[Resource]:
    return [Resource(_item_title(i), i.text, i.links, section) for i in items]


def _lead_runs(
    body: list[Block], group: str | None, lead_ins: bool = False
) -> list[Resource] | None:
    """Where two or more blocks open with a link ("- [Title](…)", "3、[Title](…)") or, with
    ``lead_ins``, a bold or ``[Tag]`` lead-in, each of them and each list item starts a
    resource that runs to the next; what comes before the first is an introduction. ``None``
    when fewer than two blocks are so marked."""

    def marked(block: Block) -> bool:
        return bool(block.lead or (lead_ins and block.lead_in))

    if sum(1 for b in body if marked(b) and b.kind in ("item", "paragraph")) < 2:
        return None
    starts = [i for i, b in enumerate(body) if b.kind == "item" or marked(b)]
    resources = []
    for start, end in zip(starts, [*starts[1:], len(body)], strict=True):
        run = body[start:end]
        resources.append(Resource(_item_title(run[0]), _run_text(run), _links(run), group))
    return resources


def _part_resources(part: _Part) -> list[Resource]:
    """One heading's resources: the heading itself with its text, or each item under it."""
    heading = part.heading
    if heading is None and part.section is None:
        return []  # the introduction
    items = [b for b in part.body if b.kind == "item"]
    prose = [b for b in part.body if b.kind == "paragraph"]
    group = part.section if heading is None else part.section or clean_heading(heading.text)
    # Straight under a section, a bold or [Tag] lead-in marks an item; under a heading, it
    # marks a part of that heading's resource.
    runs = (
        None
        if heading is not None and heading.links
        else _lead_runs(part.body, group, lead_ins=heading is None)
    )
    if heading is None:
        # Straight under a section: a pointer paragraph and each item are resources; other
        # prose is the section's introduction.
        pointer = _pointer(part.body, part.section)
        return ([pointer] if pointer else []) + (runs or _item_resources(items, group))
    if runs is not None:
        return runs
    pointer = None if heading.links else _pointer(part.body, clean_heading(heading.text))
    if pointer is not None:
        return [pointer, *_item_resources(items, group)]
    over_links = bool(items) and not prose and all(i.links for i in items) and not heading.links
    if over_links or (len(items) >= 2 and not prose):
        return _item_resources(items, group)  # a heading over a list names its section
    title = heading.lead or clean_heading(heading.text)
    body = [heading, *part.body]
    return [Resource(shorten(title), _text(part.body), _links(body), part.section)]


def assemble(
    blocks: list[Block], rules: Rules, dropped: list[Dropped] | None = None
) -> list[Resource]:
    """Turn an issue's blocks (its title taken out) into its resources; what is left out is
    added to ``dropped``, with why (the introduction: "no link", or "preamble" where it
    holds links)."""
    blocks = _drop_boilerplate(_cut_footer(blocks, rules, dropped), rules, dropped)
    headings = [i for i, b in enumerate(blocks) if b.kind == "heading"]
    if not headings:
        return _segment_resources(blocks)
    start, sections = _section_indexes(blocks, headings, rules)
    parts = _parts(blocks, start, sections)
    opening = blocks[:start] + parts[0].body
    _note(dropped, [b for b in opening if not b.links], "no link")
    _note(dropped, [b for b in opening if b.links], "preamble")
    return [r for part in parts for r in _part_resources(part)]


def _ends_with_link(block: Block) -> bool:
    tail = block.text.rstrip(" .!)]")
    return any(tail.endswith(end.rstrip(" .!)]")) for end in (*block.links, *block.names))


def _item_cuts(paragraphs: list[Block]) -> list[int] | None:
    """Where marked items split a headingless run: before a paragraph that opens with a link
    or a lead-in (bold, ``[Tag]``), after one that ends with a link or is a ``Link:`` /
    ``Source:`` line; failing those, before each paragraph that holds a link. ``None`` when
    fewer than two paragraphs are so marked."""
    opens = {i for i, b in enumerate(paragraphs) if b.lead or b.lead_in}
    ends = {
        i
        for i, b in enumerate(paragraphs)
        if b.links and (_ends_with_link(b) or _LINK_MARKER.match(b.text))
    }
    if len(opens | ends) < 2:
        opens, ends = {i for i, b in enumerate(paragraphs) if b.links}, set()
        if len(opens) < 2:
            return None
    cuts = opens | {i + 1 for i in ends}
    return sorted(c - 1 for c in cuts if 0 < c < len(paragraphs))


def _segment_resources(blocks: list[Block]) -> list[Resource]:
    """Resources for an issue whose text has no headings: cut where the items are marked,
    else where the topic changes."""
    paragraphs = [b for b in blocks if b.kind != "code"]
    cuts = _item_cuts(paragraphs)
    groups = (
        split_after(len(paragraphs), cuts)
        if cuts is not None
        else segment([b.text for b in paragraphs])
    )
    resources = []
    for indexes in groups:
        part = [paragraphs[i] for i in indexes]
        first = part[0]
        title = first.lead or first.lead_in or _first_sentence(first.text)
        resources.append(Resource(shorten(title), _run_text(part), _links(part)))
    return resources
