"""What the bot repeats of a user's own words (a search query, an option value) loses the
invisible characters that could reorder or hide the text around it."""

from __future__ import annotations

#: Bidirectional controls (embeddings, overrides, isolates, marks) and zero-width characters.
INVISIBLE = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # isolates
    "\u200e\u200f\u061c"  # left-to-right, right-to-left and Arabic letter marks
    "\u200b\u200c\u200d\u2060\ufeff"  # zero-width space, non-joiner, joiner, word joiner, BOM
)
_DROP = dict.fromkeys(map(ord, INVISIBLE))


def echoed(text: str) -> str:
    """``text`` as the bot may show it back: without bidi controls or zero-width characters."""
    return text.translate(_DROP)
