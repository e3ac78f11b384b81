"""One content file → one Issue: decode, repair, metadata, blocks, identity, resources."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.content.assemble import Rules, assemble, shorten
from bot.content.blocks import Block, strip_decoration
from bot.content.frontmatter import FrontMatter, FrontMatterError, split_front_matter
from bot.content.html import read_page
from bot.content.issue_meta import (
    digit_guesses,
    file_date,
    file_number,
    find_date,
    linked_year,
    locate_number,
    title_number,
)
from bot.content.markdown import markdown_blocks
from bot.content.models import Dropped, Issue, NumberCandidate, NumberSource, Problem, year_month
from bot.content.pagedump import page_dump_blocks
from bot.content.repair import decode_bytes, repair_text
from bot.content.rst import read_rst
from bot.content.templates import strip_templates
from bot.errors import ContentError

MARKDOWN_SUFFIXES = (".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
RST_SUFFIXES = (".rst", ".rest")
CONTENT_SUFFIXES = (".txt", *MARKDOWN_SUFFIXES, *HTML_SUFFIXES, *RST_SUFFIXES)
#: How far into an issue its number and date are looked for, at most.
_OPENING_BLOCKS = 15
_NO_NUMBER = (
    "no issue number found (write it as '12th issue' or 'Issue #12', name the file "
    "'issue-12.md', or add front matter: '---' / 'number: 12' / '---')"
)

_LINKED_YEAR = (
    "the text states the year {0}, but every link dated in its address is a year later: "
    "using {1} (state the date in front matter: '---' / 'date: YYYY-MM-DD' / '---')"
)


class ParseError(ContentError):
    """One file that cannot become an issue."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__([problem])

    def __reduce__(self) -> tuple[type[ParseError], tuple[Problem]]:
        """Pickle as its problem, so that it crosses from a worker process intact."""
        return ParseError, (self.problem,)


def _opening(blocks: list[Block], markdown: bool, rules: Rules) -> list[Block]:
    """The header lines, where the issue states its own number and date: the blocks above
    the first section the rules name and, in Markdown, above the first list item or linked
    title; in a page dump, whose lists have no such weight, its blocks that are not items."""
    head = blocks[:_OPENING_BLOCKS]
    end = next(
        (
            i
            for i, b in enumerate(head)
            if (markdown and (b.kind == "item" or b.lead))
            or (b.kind == "heading" and rules.section_headings.found_in(b.text))
        ),
        len(head),
    )
    return [b for b in head[:end] if b.kind != "item"]


def _own_words(block: Block) -> str:
    """A block's text without its links' texts: a number in a link names what it links to."""
    text = block.text
    for name in block.names:
        text = text.replace(name, " ")
    return text


def _title_block(blocks: list[Block], opening: list[Block], newsletter_name: str) -> Block | None:
    """The issue's own title: its one top-level heading, else a heading in the opening that
    names the newsletter. A file with several top-level headings uses them as sections."""
    top = [b for b in blocks if b.kind == "heading" and b.level == 1]
    if len(top) == 1 and top[0] in opening:
        return top[0]
    name = re.compile(re.escape(newsletter_name), re.IGNORECASE)
    return next((b for b in opening if b.kind == "heading" and name.search(b.text)), None)


def _same_title(a: str, b: str) -> bool:
    a, b = strip_decoration(a).casefold(), strip_decoration(b).casefold()
    return a in b or b in a


def _claims(
    front: FrontMatter, opening: list[Block], title: str | None, source: str, name: str
) -> tuple[list[NumberCandidate], int | None]:
    """Every source's number, strongest first, and the index of the opening block stating it."""
    claims: list[NumberCandidate] = []
    if front.number is not None:
        claims.append(NumberCandidate(front.number, "metadata", "the metadata", front.number_line))
    stated = locate_number([_own_words(b) for b in opening], name)
    if stated is not None:
        line = opening[stated[1]].line
        claims.append(NumberCandidate(stated[0], "text", f"the text (line {line})", line))
    elif title and (number := _title_claim(title, name)) is not None:
        claims.append(NumberCandidate(number, "text", f"the title {title!r}", None))
    named = file_number(source)
    if named is not None:
        claims.append(NumberCandidate(named[0], "file name", "the file name", None, named[1]))
    return claims, stated[1] if stated else None


def _title_claim(title: str, name: str) -> int | None:
    """The number an issue's own title states ("Weekly No. 8 – Example", "This Week in Rust 59")."""
    stated = locate_number([title], name)
    return stated[0] if stated else title_number(title)


@dataclass(frozen=True)
class _Read:
    """A file read into blocks, before the issue is made of them."""

    source: str
    front: FrontMatter
    blocks: list[Block]
    first_line: int
    #: Whether the blocks carry their structure (Markdown, HTML) or were guessed from a dump.
    marked_up: bool


def parse_text(
    text: str, source: str, rules: Rules, newsletter_name: str, markdown: bool
) -> tuple[Issue, list[Problem]]:
    """Parse one issue's text; raise ``ParseError`` when it cannot become an issue."""
    text = repair_text(text.replace("\r\n", "\n").replace("\r", "\n"))
    try:
        front, body, first_line = split_front_matter(text)
    except FrontMatterError as error:
        raise ParseError(Problem(source, error.line, str(error))) from None
    blocks = (
        markdown_blocks(strip_templates(body), first_line)
        if markdown
        else page_dump_blocks(body, first_line, rules.caption_markers)
    )
    return _issue(_Read(source, front, blocks, first_line, markdown), rules, newsletter_name)


def parse_rst(
    text: str, source: str, rules: Rules, newsletter_name: str
) -> tuple[Issue, list[Problem]]:
    """Parse one reStructuredText issue; raise ``ParseError`` when it cannot become an issue."""
    text = repair_text(text.replace("\r\n", "\n").replace("\r", "\n"))
    try:
        front, body, first_line = split_front_matter(text)
        fields, blocks = read_rst(body)
    except FrontMatterError as error:
        raise ParseError(Problem(source, error.line, str(error))) from None
    if front == FrontMatter():
        front = fields
    return _issue(_Read(source, front, blocks, first_line, True), rules, newsletter_name)


def _issue(read: _Read, rules: Rules, newsletter_name: str) -> tuple[Issue, list[Problem]]:
    """The issue a file's blocks make: identity from the strongest source, then resources."""
    front, blocks, source = read.front, read.blocks, read.source
    opening = _opening(blocks, read.marked_up, rules)
    title_block = _title_block(blocks, opening, newsletter_name)
    if front.title and title_block and not _same_title(front.title, title_block.text):
        title_block = None  # a heading that is not the title the metadata gives
    heading_title = strip_decoration(title_block.text) if title_block else None
    claims, stated_at = _claims(
        front, opening, front.title or heading_title, source, newsletter_name
    )
    # A heading stating the issue's number ("#05 - Tonight We Ride") is the issue's own title
    # line, not a section, where the metadata's title states no number (a saved page's tab
    # names the site, which stays the title: onboarding learns the newsletter's name from it).
    stating = opening[stated_at] if stated_at is not None else None
    if (
        stating is not None
        and stating.kind == "heading"
        and stating is not title_block
        and not (front.title and _title_claim(front.title, newsletter_name))
    ):
        title_block = stating
        heading_title = heading_title or strip_decoration(stating.text)
        # What stands above the issue's own title is the site's header (a subscribe box).
        above, blocks = blocks[: blocks.index(stating)], blocks[blocks.index(stating) :]
    else:
        above = []
    # A file with no claim but digits in its name or title: the folder pass sees which of
    # them vary from issue to issue (``Weekly34.md``, "第 34 期") and numbers it, or refuses it.
    claims += digit_guesses(source, front.title or heading_title)
    year, month = (
        (front.year, front.month)
        if front.month is not None
        else file_date(source) or find_date(b.text for b in opening)
    )
    if not claims and (year is None or month is None):
        raise ParseError(Problem(source, read.first_line, _NO_NUMBER))
    warnings: list[Problem] = []
    if front.month is None and year is not None and month is not None:
        # A date read from the text (not the metadata nor the file name) may be mistyped.
        linked = linked_year(year, month, (link for b in blocks for link in b.links))
        if linked is not None:
            warnings.append(Problem(source, None, _LINKED_YEAR.format(year, linked), fatal=False))
            year = linked
    # A dated issue that states no number: the folder pass numbers it by date order when the
    # whole folder is like it (a dated, unnumbered newsletter), else refuses it.
    number = claims[0].number if claims else 0
    number_source: NumberSource = claims[0].source if claims else "sequence"
    fallback = f"#{number}" if claims else year_month(year, month)
    title = front.title or heading_title or f"{newsletter_name} {fallback}"
    # In a page dump, nothing above the line that states the number (title, author,
    # banners) is a resource; Markdown and HTML say where their sections are.
    if stated_at is not None and not read.marked_up:
        blocks = blocks[stated_at + 1 :]
    dropped = [Dropped(b.text, "preamble") for b in above if b.text.strip()]
    issue = Issue(
        number=number,
        title=shorten(title),
        source=source,
        year=year,
        month=month,
        url=front.url,
        resources=assemble([b for b in blocks if b is not title_block], rules, dropped),
        number_source=number_source,
        number_candidates=tuple(claims),
        dropped=dropped,
        links_seen=len({link for b in blocks for link in b.links}),
    )
    if not issue.resources:
        warnings.append(Problem(source, None, "no resources found in this issue", fatal=False))
    return issue, warnings


def parse_file(path: Path, rules: Rules, newsletter_name: str) -> tuple[Issue, list[Problem]]:
    """Parse one content file (pure: safe to run in a worker process); raise ``ParseError``."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ParseError(Problem(path.name, None, f"cannot read file: {error.strerror}")) from None
    text = decode_bytes(data)
    if path.suffix.lower() in HTML_SUFFIXES:
        front, blocks = read_page(repair_text(text))
        return _issue(_Read(path.name, front, blocks, 1, True), rules, newsletter_name)
    if path.suffix.lower() in RST_SUFFIXES:
        return parse_rst(text, path.name, rules, newsletter_name)
    markdown = path.suffix.lower() in MARKDOWN_SUFFIXES
    return parse_text(text, path.name, rules, newsletter_name, markdown)
