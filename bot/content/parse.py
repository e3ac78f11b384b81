"""One content file → one Issue: decode, repair, front matter, blocks, resources, metadata."""

from __future__ import annotations

import re
from pathlib import Path

from bot.content.assemble import Rules, assemble, shorten
from bot.content.blocks import Block, strip_decoration
from bot.content.frontmatter import FrontMatterError, split_front_matter
from bot.content.issue_meta import find_date, locate_number
from bot.content.markdown import markdown_blocks
from bot.content.models import Issue, Problem
from bot.content.pagedump import page_dump_blocks
from bot.content.repair import decode_bytes, repair_text
from bot.errors import ContentError

CONTENT_SUFFIXES = (".txt", ".md", ".markdown")
#: How far into an issue its number and date are looked for.
_OPENING_BLOCKS = 15


class ParseError(ContentError):
    """One file that cannot become an issue."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__([problem])


def _title(blocks: list[Block], newsletter_name: str) -> str | None:
    """The issue's own title: a Markdown ``#`` heading, else the first short line that
    names the newsletter."""
    for block in blocks[:_OPENING_BLOCKS]:
        if block.kind == "heading" and block.level == 1:
            return strip_decoration(block.text)
    name = re.compile(re.escape(newsletter_name), re.IGNORECASE)
    for block in blocks[:_OPENING_BLOCKS]:
        if block.kind == "heading" and name.search(block.text):
            return strip_decoration(block.text)
    return None


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
        markdown_blocks(body, first_line)
        if markdown
        else page_dump_blocks(body, first_line, rules.caption_markers)
    )
    opening = [b.text for b in blocks[:_OPENING_BLOCKS]]
    stated = locate_number(opening)
    number = front.number if front.number is not None else (stated[0] if stated else None)
    if number is None:
        raise ParseError(
            Problem(
                source,
                first_line,
                "no issue number found (write it as '12th issue' or 'Issue #12', "
                "or add front matter: '---' / 'number: 12' / '---')",
            )
        )
    year, month = (front.year, front.month) if front.month is not None else find_date(opening)
    title = front.title or _title(blocks, newsletter_name) or f"{newsletter_name} #{number}"
    issue = Issue(
        number=number,
        title=shorten(title),
        source=source,
        year=year,
        month=month,
        url=front.url,
        # In a page dump, nothing above the line that states the number (title, author,
        # banners) is a resource; Markdown says where its sections are.
        resources=assemble(blocks[stated[1] + 1 :] if stated and not markdown else blocks, rules),
    )
    warnings = []
    if not issue.resources:
        warnings.append(Problem(source, None, "no resources found in this issue", fatal=False))
    return issue, warnings


def parse_file(path: Path, rules: Rules, newsletter_name: str) -> tuple[Issue, list[Problem]]:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ParseError(Problem(path.name, None, f"cannot read file: {error.strerror}")) from None
    markdown = path.suffix.lower() in (".md", ".markdown")
    return parse_text(decode_bytes(data), path.name, rules, newsletter_name, markdown)
