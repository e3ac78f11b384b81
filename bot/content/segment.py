"""Split a run of paragraphs with no headings into resources (lexical cohesion, TextTiling-style).

Used where nothing marks the items (see ``assemble`` for links and lead-ins, which come
first). Some issues lost their headings in the page dump. Adjacent paragraphs about one resource
share words; a new resource brings new ones. The cut points are the deepest dips in word
overlap between the paragraphs before and after each gap, skipping gaps where the next
paragraph plainly continues the last ("And …", "This article …", a list after "…:").
"""

from __future__ import annotations

import math
import re
from collections import Counter

from bot.content.blocks import STOPWORDS, words

#: Paragraphs per resource, when nothing else tells how many resources there are.
PARAGRAPHS_PER_RESOURCE = 5
_WINDOW = 2
#: The fewest paragraphs a resource spans.
_MIN_PARAGRAPHS = 2
# Openings that lean on the paragraph before: connectives, pronouns, back-references.
_CONTINUES = re.compile(
    r"^(and|but|so|or|yes|no|also|this|these|that|those|it(?!['’]s)|its|they|their|then|which|because|"
    r"if|imagine|some of|all of|in (other words|short|the case|this|that)|first|second|third|"
    r"finally|step \d|my favourite|the (article|post|video|paper|blog|author|team|tool|book)\b)\b",
    re.IGNORECASE,
)


def _terms(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS and len(w) > 2]


def _cosine(a: Counter[str], b: Counter[str], idf: dict[str, float]) -> float:
    dot = sum(count * b[word] * idf[word] ** 2 for word, count in a.items())
    norm_a = math.sqrt(sum((v * idf[w]) ** 2 for w, v in a.items()))
    norm_b = math.sqrt(sum((v * idf[w]) ** 2 for w, v in b.items()))
    return dot / (norm_a * norm_b) if norm_a and norm_b else 0.0


def _peaks(similarity: list[float]) -> tuple[list[float], list[float]]:
    """For each gap, the top of the slope that rises from it to the left and to the right
    (one pass each way, so that long flat runs stay linear)."""
    left = list(similarity)
    for gap in range(1, len(similarity)):
        if similarity[gap - 1] >= similarity[gap]:
            left[gap] = left[gap - 1]
    right = list(similarity)
    for gap in range(len(similarity) - 2, -1, -1):
        if similarity[gap + 1] >= similarity[gap]:
            right[gap] = right[gap + 1]
    return left, right


def segment(paragraphs: list[str]) -> list[list[int]]:
    """Group paragraph indexes into consecutive segments, one per resource."""
    count = len(paragraphs)
    wanted_cuts = round(count / PARAGRAPHS_PER_RESOURCE) - 1
    if count < 2 or wanted_cuts < 1:
        return [list(range(count))] if count else []
    # Words every paragraph uses ("machine", "learning") say little about where topics change.
    terms = [_terms(p) for p in paragraphs]
    frequency = Counter(w for t in terms for w in set(t))
    idf = {w: math.log(count / n) + 1 for w, n in frequency.items()}

    def bag(indexes: range) -> Counter[str]:
        return Counter(w for i in indexes for w in terms[i])

    similarity = [
        _cosine(
            bag(range(max(0, gap - _WINDOW + 1), gap + 1)),
            bag(range(gap + 1, min(count, gap + 1 + _WINDOW))),
            idf,
        )
        for gap in range(count - 1)
    ]
    left, right = _peaks(similarity)
    depth: dict[int, float] = {}
    for gap, value in enumerate(similarity):
        follows = paragraphs[gap].rstrip().endswith(":")
        if follows or _CONTINUES.match(paragraphs[gap + 1]):
            continue
        depth[gap] = (left[gap] - value) + (right[gap] - value)
    cuts: set[int] = set()
    for gap in sorted(depth, key=lambda g: -depth[g]):
        near = range(gap - _MIN_PARAGRAPHS + 1, gap + _MIN_PARAGRAPHS)
        if 0 < gap < count - 2 and not any(other in cuts for other in near):
            cuts.add(gap)
        if len(cuts) == wanted_cuts:
            break
    return split_after(count, sorted(cuts))


def split_after(count: int, gaps: list[int]) -> list[list[int]]:
    """Indexes ``0..count-1`` cut after each of the sorted ``gaps``."""
    segments: list[list[int]] = []
    start = 0
    for gap in gaps:
        segments.append(list(range(start, gap + 1)))
        start = gap + 1
    segments.append(list(range(start, count)))
    return segments
