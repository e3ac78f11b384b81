"""The parsers' common currency: an issue's text as a sequence of typed blocks.

Both the page-dump parser and the Markdown parser turn a file into blocks; ``assemble``
turns blocks into resources the same way for both.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["heading", "paragraph", "item", "code"]

_URL = re.compile(r"https?://[^\s<>\"'`]+")
_TRAILING_URL_PUNCT = ".,;:!?)]}'\""


@dataclass
class Block:
    kind: BlockKind
    text: str
    line: int
    links: tuple[str, ...] = field(default=())
    #: Markdown heading level (1-6); 0 where the level is unknown (page dumps).
    level: int = 0
    #: The block's own title when it opens with a link (``[tag] link text``).
    lead: str | None = None
    #: A bold or ``[Tag]`` lead-in that titles what follows ("**Foo**: …", "[Video] Foo").
    lead_in: str | None = None
    #: The texts of its links that name something (not a bare address).
    names: tuple[str, ...] = ()


def find_links(text: str) -> tuple[str, ...]:
    """Bare web addresses in ``text``, without the punctuation that closes a sentence."""
    if "http" not in text:  # most text has none: no need to run the pattern
        return ()
    links: list[str] = []
    for match in _URL.finditer(text):
        url = match.group().rstrip(_TRAILING_URL_PUNCT)
        if url.count("(") > url.count(")"):
            url += ")"
        if url not in links:
            links.append(url)
    return tuple(links)


def _is_decoration(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category in {"So", "Sk", "Cf", "Mn", "Me"} or ch in "\ufe0f\u200d" or ch.isspace()


def strip_decoration(text: str) -> str:
    """Drop emoji and symbols from both ends of ``text`` and fold its white space."""
    text = " ".join(text.split())
    start, end = 0, len(text)
    while start < end and _is_decoration(text[start]):
        start += 1
    while end > start and _is_decoration(text[end - 1]):
        end -= 1
    return text[start:end]


_TAG_LEAD_IN = re.compile(r"^\[[^\[\]]{1,30}\]\s+(?=[A-Z0-9\"“‘'])")
_TITLE_END = re.compile(r"\s+[—–-]\s+|\.(?:\s|$)|:\s")


def tag_lead_in(text: str) -> str | None:
    """The title a ``[Tag] Title — …`` line opens with, tag kept; ``None`` without a tag."""
    if not text.startswith("[") or not _TAG_LEAD_IN.match(text):
        return None
    end = _TITLE_END.search(text, text.index("]") + 2)
    return (text[: end.start()] if end else text).strip()[:200]


_LEADING_NUMBER = re.compile(r"^\d{1,3}[.)]\s+")


def clean_heading(text: str) -> str:
    """A heading as a title: no list number, no emoji at either end."""
    return strip_decoration(_LEADING_NUMBER.sub("", strip_decoration(text)))


_WORD = re.compile(r"\w+")

#: Words too common to say what a paragraph or a query is about.
STOPWORDS = frozenset(
    "a about all also an and any are as at be been but by can could did do does for from had has have "
    "he her here his how i if in into is it its just me more most my no not of on one or our out over "
    "she should so some than that the their them then there these they this those to too up very vs "
    "was we were what when where which who why will with would yes you your".split()
)  # fmt: skip


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())
