"""Plain-text page dumps → blocks.

A dump has lost its markup: one paragraph a line, headings as short lines, list items
indented behind a bullet or number. Headings are recognised by shape (short, one sentence,
no closing punctuation); image alt text and captions, which share that shape, are told
apart by what follows them.
"""

from __future__ import annotations

import re

from bot.content.assemble import Patterns
from bot.content.blocks import STOPWORDS, Block, find_links, strip_decoration, tag_lead_in, words

# A bullet (at any indent) or an indented number; a number at the margin titles an item.
_ITEM = re.compile(r"^(?:\s+\d{1,2}[.)]|\s*[•●▪◦·*–-])\s+(?P<text>\S.*)$")
_CODE = re.compile(
    r"^(?:from [\w.]+ import|import [\w.]+|def |class |return\b|procedure\b|end\b|#\s)"
    r"|[=\[\]{}<>]|\w\(|^\S+\(\)$"
)
_SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z]")
_NO_HEADING_END = (*".,;:?…", "...")
_MAX_HEADING_WORDS = 20
# Words that make a sentence: a caption describes a picture without them.
_VERBS = frozenset(
    "is are was were be been being has have had can could will would shall should may might "
    "must do does did shows show showing".split()
)  # fmt: skip
_PERSONAL = frozenset(["i", "my", "me", "we", "our", "you", "your"])
# A line that opens by pointing back at what came before continues a resource.
_CONTINUATION = re.compile(r"^(this|these|that|those|it|and|but|so|or|also)\b", re.IGNORECASE)


_NUMBERED = re.compile(r"^\d{1,3}[.)]\s+")
_TAG = re.compile(r"^\[[^\[\]]{1,30}\]\s+")
_QUOTES = tuple("\"'“‘«„")


def _looks_like_code(text: str) -> bool:
    """A short line with code's punctuation (prose uses ``=`` and brackets too, at length);
    a ``[Tag] Title`` line is not code."""
    if tag_lead_in(text):
        return False
    return bool(_CODE.search(text)) and len(text.split()) <= 12 and not _SENTENCE_BREAK.search(text)


def _heading_like(text: str) -> bool:
    decorated = strip_decoration(text)
    core = _TAG.sub("", _NUMBERED.sub("", decorated))
    if not core or core.startswith(_QUOTES) or _CONTINUATION.match(core):
        return False
    if "http" in core or _CODE.search(core):
        return False
    if len(core.split()) > _MAX_HEADING_WORDS or _SENTENCE_BREAK.search(core):
        return False
    if core.endswith(("?", ".")) and core != decorated:
        return True  # a numbered line titles an item, even as a question or a sentence
    return not core.endswith(_NO_HEADING_END)


def _is_slug(text: str) -> bool:
    """Image file names and alt text: ``all-roads-rome``, ``pix2seq``, ``hero image``."""
    core = strip_decoration(text)
    return bool(core) and core[0].islower() and (" " not in core or core.islower())


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _describes(heading: str, paragraph: str) -> bool:
    """Does ``paragraph`` read as the caption of an image whose alt text is ``heading``?

    A caption either opens with the alt text itself, or restates its words in an impersonal
    phrase with no verb of its own.
    """
    heading_words = {_stem(w) for w in words(heading) if w not in STOPWORDS and w.isalpha()}
    paragraph_words = words(paragraph)
    if len(words(heading)) >= 4 and " ".join(paragraph_words).startswith(" ".join(words(heading))):
        return True
    if (
        len(heading_words) < 3
        or len(paragraph_words) > 30
        or (_VERBS | _PERSONAL) & set(paragraph_words)
    ):
        return False
    shared = heading_words & {_stem(w) for w in paragraph_words}
    return len(shared) / len(heading_words) >= 0.6


def page_dump_blocks(text: str, first_line: int, caption_markers: Patterns) -> list[Block]:
    blocks: list[Block] = []
    for offset, raw in enumerate(text.split("\n")):
        line = first_line + offset
        if not raw.strip():
            continue
        links = find_links(raw)
        item = _ITEM.match(raw)
        if item:
            text = item.group("text").strip()
            blocks.append(Block("item", text, line, links, lead_in=tag_lead_in(text)))
        elif raw.startswith(("\t", "    ")) or _looks_like_code(raw.strip()):
            blocks.append(Block("code", raw.rstrip(), line, links))
        elif _heading_like(raw):
            blocks.append(Block("heading", " ".join(raw.split()), line, links))
        else:
            text = " ".join(raw.split())
            blocks.append(Block("paragraph", text, line, links, lead_in=tag_lead_in(text)))
    return _drop_image_text(blocks, caption_markers)


def _drop_image_text(blocks: list[Block], caption_markers: Patterns) -> list[Block]:
    """Remove image alt lines that look like headings; their captions stay as text.

    A numbered line ("3. Title") is never alt text.
    """
    kept: list[Block] = []
    for index, block in enumerate(blocks):
        if block.kind == "heading" and not _NUMBERED.match(strip_decoration(block.text)):
            following = blocks[index + 1] if index + 1 < len(blocks) else None
            caption = (
                following is not None
                and following.kind == "paragraph"
                and (
                    caption_markers.found_in(following.text)
                    or _describes(block.text, following.text)
                )
            )
            if caption or _is_slug(block.text):
                continue
        kept.append(block)
    return kept
