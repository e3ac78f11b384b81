"""Blocks → resources: cut the preamble and footer, find sections, group lists, title things."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass, field

from bot.content.blocks import STOPWORDS, Block, clean_heading, words
from bot.content.issue_meta import masked_dates
from bot.content.models import Dropped, DropReason, Resource
from bot.content.segment import segment, split_after

MAX_TITLE_CHARS = 200
#: "Title — description", "Title – description", "Title - description".
_ITEM_TITLE = re.compile(r"^(?P<title>.{3,120}?)\s+[—–-]\s+\S")
_FIRST_SENTENCE = re.compile(r"^(?P<sentence>.+?[.!?])(?:\s|$)")
#: A line that gives a resource's address: "Link: …", "Source: …", "Read more: …".
_LINK_MARKER = re.compile(r"^(?:link|source|read (?:it|more)|via|url)\s*:", re.IGNORECASE)
#: A link text that references rather than names: "#2534", "org/repo#12", "@ada", "Ada (@ada)".
_REFERENCE = re.compile(r"^(?:[\w/.-]*#\d+|@[\w.-]+|[^()]{1,60}\(@[\w.-]+\))$")
#: How many words may stand before the link an item is about.
_LINK_WORDS = 3
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
    else its first sentence. A leading link that only references something (a ticket "#2534",
    a person "Ada (@ada)") leaves the title to the sentence it opens."""
    lead = item.lead
    if lead and ("#" in lead or "@" in lead) and _REFERENCE.match(lead):
        lead = None  # _references, inlined: every item's title asks
    if not lead and item.lead_in and item.names and not masked_dates(item.lead_in).strip(" ,.-"):
        return shorten(item.names[0])  # "**Apr 4, 2017**, [Meetup](…)": a date names nothing
    if lead or item.lead_in:
        return shorten(lead or item.lead_in or "")
    if item.lead:
        sentence = _first_sentence(item.text.split("\n", 1)[0])
        return sentence if len(sentence) > len(item.lead) + 1 else shorten(item.lead)
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
    #: A linked heading with its prose and its own sub-headings: one resource, whatever its
    #: detail lines (a changelog, rules) look like.
    story: bool = False
    #: Straight under a section, the section's whole text (no heading follows inside it).
    whole: bool = False


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


@dataclass(frozen=True)
class _Outline:
    """How an issue's headings divide it: where the resources start, which headings open a
    section, and which open a story that keeps its sub-headings."""

    start: int
    sections: frozenset[int]
    stories: frozenset[int]


def _linked_levels(blocks: list[Block], headings: list[int]) -> set[int]:
    """Markdown heading levels where most headings are linked: a run of stories."""
    counts: dict[int, list[int]] = {}
    for index in headings:
        level = blocks[index].level
        if level:
            tally = counts.setdefault(level, [0, 0])
            tally[0] += 1
            tally[1] += bool(blocks[index].links)
    return {level for level, (count, linked) in counts.items() if linked * 2 > count}


def _stories(blocks: list[Block], headings: list[int], linked_levels: set[int]) -> set[int]:
    """Linked headings, on a level where most are linked, with text of their own and deeper
    headings below: each is one story with its details (a changelog, rules), not a section."""
    return {
        index
        for index, following in itertools.pairwise(headings)
        if blocks[index].level in linked_levels
        and blocks[index].links
        and following > index + 1
        and blocks[index].level < blocks[following].level
    }


def _byline_word(text: str) -> str:
    found = words(clean_heading(text))
    return found[0].rstrip("s") if found else ""


def _subtitled(blocks: list[Block], headings: list[int]) -> set[int]:
    """Headings each followed straight away by a deeper heading that opens the same way in
    each ("## Nimjl" / "#### Author: Ada" / text, "## Loki" / "#### Author: Bo" / text): a
    byline, the pair and what follows one story. Only where the shape recurs (two or more
    pairs on the same levels, one first word), so that a section opening with its first
    sub-section is not taken for one."""
    pairs: dict[tuple[int, int, str], list[int]] = {}
    for index, sub in itertools.pairwise(headings):
        level, sub_level = blocks[index].level, blocks[sub].level
        if sub != index + 1 or not 0 < level < sub_level or sub + 1 in headings:
            continue
        word = _byline_word(blocks[sub].text)
        if word and sub + 1 < len(blocks) and not blocks[sub].lead:  # a linked title: no byline
            pairs.setdefault((level, sub_level, word), []).append(index)
    per_level = Counter(blocks[i].level for i in headings)
    return {
        index
        for (level, _, _), found in pairs.items()
        if len(found) >= 2 and len(found) * 2 >= per_level[level]
        for index in found
    }


def _section_level(blocks: list[Block], headings: list[int], stories: set[int]) -> int | None:
    """The Markdown heading level that divides the issue: the one with the most headings that
    hold deeper headings (stories aside), the shallower on a tie. Counting rather than taking
    the shallowest keeps one stray heading ("# Oceania" in a list of events) from making
    every heading of the issue's own level a sub-heading."""
    holders: dict[int, int] = {}
    for index, following in itertools.pairwise(headings):
        level = blocks[index].level
        if index not in stories and 0 < level < blocks[following].level:
            holders[level] = holders.get(level, 0) + 1
    return min(holders, key=lambda level: (-holders[level], level), default=None)


def _outline(blocks: list[Block], headings: list[int], rules: Rules) -> _Outline:
    """Where the resources start, which headings are sections, and which are stories.

    A heading is a section when the rules name it, when another heading follows it straight
    away, or when it is on or above the level that divides the issue, unless it is a linked
    heading among mostly linked ones (a story). A story with its own text and sub-headings
    keeps them. The preamble (title, author, greeting) runs to the first section the level
    or the rules name, else the first heading.
    """
    linked_levels = _linked_levels(blocks, headings)
    bylined = _subtitled(blocks, headings)
    stories = _stories(blocks, headings, linked_levels) | bylined
    level = _section_level(blocks, headings, stories)

    def divides(index: int) -> bool:
        block = blocks[index]
        if level is None or not 0 < block.level <= level or index in bylined:
            return False
        return not (block.links and block.level in linked_levels)

    named = [
        i
        for i in headings
        if divides(i) or rules.section_headings.found_in(clean_heading(blocks[i].text))
    ]
    start = (named or headings)[0]
    following = {
        i for i in headings if i >= start and i not in stories and _opens_section(blocks, i)
    }
    return _Outline(start, frozenset(named) | following, frozenset(stories))


def _parts(blocks: list[Block], outline: _Outline) -> list[_Part]:
    parts = [_Part(None, None)]
    story_level = 0  # the level of the story being read, 0 outside one
    for index in range(outline.start, len(blocks)):
        block = blocks[index]
        if block.kind == "heading" and story_level and 0 < block.level <= story_level:
            story_level = 0
        if story_level:
            parts[-1].body.append(block)
        elif index in outline.sections:
            parts.append(_Part(clean_heading(block.text), None))
        elif block.kind == "heading":
            parts.append(_Part(parts[-1].section, block, story=index in outline.stories))
            story_level = block.level if index in outline.stories else 0
        else:
            parts[-1].body.append(block)
    return parts


def _references(text: str) -> bool:
    """Is a link's text a reference ("#2534", "@ada", "Ada (@ada)") rather than a name?"""
    return ("#" in text or "@" in text) and _REFERENCE.match(text) is not None


def _names_a_thing(text: str) -> bool:
    """Does a link's text name something ("heck", "Herm's", "DuckDB"), rather than point at
    a document ("the paper", "here"), reference a ticket or a person ("#12", "@ada") or run
    as a phrase ("merged in the last week")?"""
    if _references(text):
        return False
    found = words(text)
    if not found or found[-1] in _GENERIC_NAMES or len(found) > 6:
        return False
    return not (text.islower() and any(w in STOPWORDS for w in found))


def _pointer(body: list[Block], section: str | None) -> Resource | None:
    """A heading or section opened by a short paragraph naming one linked thing ("This
    week's crate is [foo](…), a …") is that thing: titled by the link's text, the heading as
    its section. Where it links more, the one thing is the one its first sentence goes on
    to describe ("[foo](…), a …"): a thank-you after it names no rival."""
    first = body[0] if body else None
    if first is None or first.kind != "paragraph" or len(first.text.split()) > _POINTER_WORDS:
        return None
    names = first.names
    if len(names) > 1:  # "… is [foo](…), a … . Thanks to [Ada](…)!": the first sentence's
        sentence = _first_sentence(first.text, limit=len(first.text))
        names = tuple(name for name in names if f"{name}, " in sentence)  # …described
    if len(names) != 1 or not _names_a_thing(names[0]):
        return None
    prose = [b for b in body if b.kind == "paragraph"]
    return Resource(shorten(names[0]), _text(prose), _links(prose), section)


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
        return []  # the issue's introduction
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
        # prose is the section's introduction, unless it is a run of linked notes.
        if part.whole and runs is None and (notes := _notes(part.body, group)):
            return notes
        pointer = _pointer(part.body, part.section)
        return ([pointer] if pointer else []) + (runs or _item_resources(items, group))
    if part.story or _addressed(part.body) or (prose and _variants(items)):
        return [_heading_resource(heading, part)]
    if runs is not None:
        return runs
    pointer = None if heading.links else _pointer(part.body, clean_heading(heading.text))
    if pointer is not None:
        return [pointer, *_item_resources(items, group)]
    if not heading.links and (single := _single_item(part.body)) is not None:
        return [Resource(_item_title(single), _text(part.body), _links(part.body), group)]
    if _news_lines(heading, part.body):
        return [_heading_resource(heading, part)]
    over_links = bool(items) and not prose and all(i.links for i in items) and not heading.links
    if over_links or (len(items) >= 2 and not prose) or _introduced_list(heading, part.body):
        return _item_resources(items, group)  # a heading over a list names its section
    return [_heading_resource(heading, part)]


def _is_note(block: Block) -> bool:
    """A short paragraph whose first sentence says something of the thing it ends by linking
    ("Ada had `questions about ARM`_.", "Bo introduced `membranes`_. Membranes …")."""
    if block.kind != "paragraph" or not block.names or len(block.text.split()) > _POINTER_WORDS:
        return False
    sentence = _first_sentence(block.text, limit=len(block.text)).rstrip(" .!?)")
    return any(
        sentence.endswith(name.rstrip(" .!?)")) and len(name) < len(sentence)
        for name in block.names
    )


def _notes(body: list[Block], group: str | None) -> list[Resource] | None:
    """A section of prose that opens with two or more notes (``_is_note``), such as a
    mailing list's week: each note is a resource, titled by its first sentence; the prose
    after them (a sign-off) is not."""
    run = list(itertools.takewhile(_is_note, body))
    if len(run) < 2 or any(b.kind != "paragraph" for b in body):
        return None
    return [Resource(_first_sentence(b.text), b.text, b.links, group) for b in run]


def _single_item(body: list[Block]) -> Block | None:
    """The one linked item under a heading whose other text holds no link ("Bug of the week":
    the bug, then a word on it): the item is what the heading presents."""
    items = [b for b in body if b.kind == "item"]
    lead = items[0].lead if len(items) == 1 else None
    if not lead or not any(char.isalpha() for char in lead) or len(body) < 2:
        return None  # a date or a number names no thing
    return items[0] if not any(b.links for b in body if b is not items[0]) else None


#: How many words, on average, make a list item a sentence ("Ada fixed the DHCP server
#: identifier") rather than a name ("Ada Lovelace", "9/2.").
_SENTENCE_WORDS = 5
_SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z]")


def _news_lines(heading: Block, body: list[Block]) -> bool:
    """Two or more items under an unlinked heading, none of them and nothing else under it
    carrying a link, and the items single sentences rather than names or "Name — what it
    is" lines: the changes a news section
    reports ("## Networking Improvements" / "- Ada fixed the DHCP server identifier"). They
    are that section's story; with no link, no one of them is a resource of its own."""
    items = [b for b in body if b.kind == "item"]
    if heading.links or len(items) < 2 or any(b.links for b in body):
        return False
    if any(_SENTENCE_BREAK.search(i.text) or _ITEM_TITLE.match(i.text) for i in items):
        return False  # items that name a thing ("Gradio 4.0 — demos") or describe it at length
    return sum(len(i.text.split()) for i in items) >= _SENTENCE_WORDS * len(items)


def _addressed(body: list[Block]) -> bool:
    """Does the heading's text open on a line that is only an address ("example.com/post/",
    a link showing its own address)? The heading names what is there: it and all under it
    (notes, related links) are one resource."""
    first = body[0] if body else None
    return (
        first is not None
        and first.kind == "paragraph"
        and len(first.links) == 1
        and not first.names
        and len(first.text.split()) == 1
    )


#: How many words a variant's name runs to at most ("ARM64 (aarch64) Packages", "PDF").
_VARIANT_TOKENS = 4


def _variants(items: list[Block]) -> bool:
    """Two or more items that are each only a link, into one folder of one site, their names
    short, sharing a word and differing in a word or two ("x86-64 Packages", "ARM64
    Packages", "Full report #1"): the builds, mirrors or parts of the one thing the prose
    above them tells of, not things of their own."""
    if len(items) < 2 or any(
        not i.lead or i.links[:1] != i.links or i.text != i.lead for i in items
    ):
        return False
    folders = {
        link.rsplit("/", 2 if link.endswith("/") else 1)[0] for i in items for link in i.links
    }
    named = [set(words(i.lead or "")) for i in items]
    shared = set.intersection(*named) - STOPWORDS
    own = max(  # what varies, counted in written tokens: "x86-64", "RISC-V (riscv64gc)"
        sum(1 for token in (i.lead or "").split() if not set(words(token)) <= shared) for i in items
    )
    short = all(len((i.lead or "").split()) <= _VARIANT_TOKENS for i in items)
    return (
        len(folders) == 1 and "://" in next(iter(folders)) and bool(shared) and own <= 2 and short
    )


def _about_its_link(item: Block) -> bool:
    """Does the item open with a link, within its first few words ("(Easy) [Fix the docs](…)",
    "Ada explains [lexers](…)"), rather than end on a reference ("faster builds ([#13](…))")?"""
    if item.lead:
        return True
    named = item.names[0] if item.names else item.links[0] if item.links else None
    at = item.text.find(named) if named else -1
    return at >= 0 and len(item.text[:at].split()) <= _LINK_WORDS


def _introduced_list(heading: Block, body: list[Block]) -> bool:
    """Prose, then two or more items each about its link, under an unlinked heading: the prose
    introduces the list, it does not make the heading one resource (items that end on a
    reference are a story's details)."""
    first_item = next((i for i, b in enumerate(body) if b.kind == "item"), None)
    if heading.links or first_item is None:
        return False
    listed = body[first_item:]
    return (
        sum(1 for b in listed if b.kind == "item") >= 2
        and all(_about_its_link(b) for b in listed if b.kind == "item")
        and not any(b.kind == "paragraph" for b in listed)
    )


def _heading_resource(heading: Block, part: _Part) -> Resource:
    """A heading and everything under it as one resource, titled by its link or its text."""
    title = heading.lead or clean_heading(heading.text)
    body = [heading, *part.body]
    return Resource(shorten(title), _text(part.body), _links(body), part.section)


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
    outline = _outline(blocks, headings, rules)
    parts = _parts(blocks, outline)
    for index, part in enumerate(parts):
        after = parts[index + 1] if index + 1 < len(parts) else None
        part.whole = part.heading is None and (after is None or after.heading is None)
    opening = blocks[: outline.start] + parts[0].body
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
