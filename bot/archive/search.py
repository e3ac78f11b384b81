"""Ranked, typo-tolerant search over resources, and autocomplete.

FTS5 finds candidates (bm25, title weighted above text); query words missing from the
index's own vocabulary are replaced by their closest vocabulary words (rapidfuzz) first.
Candidates are then re-ranked by how much of the query they cover, in the title above all,
and whether they hold the query as a phrase. User text never reaches ``MATCH`` unquoted:
the query is cut into word tokens, each quoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.archive.records import ResourceRecord, SearchHit, format_date
from bot.archive.store import Archive
from bot.content.blocks import STOPWORDS

MAX_QUERY_TERMS = 16
MAX_TERM_CHARS = 40
CANDIDATES = 200
AUTOCOMPLETE_LIMIT = 25
_TOKEN = re.compile(r"\w+")
_TYPO_CUTOFF = 80.0
_BM25_WEIGHTS = (8.0, 1.0, 0.5)


def tokens(text: str) -> list[str]:
    """Word tokens as the index sees them (``unicode61``: letters and digits, lower case)."""
    return _TOKEN.findall(text.casefold())


def _matches(term: str, word: str) -> bool:
    return word == term or (len(term) >= 4 and word.startswith(term))


@dataclass
class _Vocabulary:
    terms: dict[str, int]  # word → how many resources hold it

    def __post_init__(self) -> None:
        self.words = list(self.terms)

    def expand(self, term: str) -> list[str]:
        """``term`` itself when the index knows it, else the closest words it does know."""
        if term in self.terms or len(term) < 3:
            return [term]
        found = process.extract(
            term, self.words, scorer=fuzz.ratio, score_cutoff=_TYPO_CUTOFF, limit=5
        )
        if not found:
            return [term]
        best = found[0][1]
        close = [word for word, score, _ in found if score >= best - 3]
        return sorted(close, key=lambda word: -self.terms[word])[:3]


class Searcher:
    """Search and autocomplete over an archive; ``refresh`` after every content load."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self._vocabulary = _Vocabulary({})
        self._titles: list[tuple[str, int]] = []  # (title, issue)
        self._folded_titles: list[str] = []  # the same titles, case-folded for matching
        self._issues: list[tuple[int, str]] = []  # (number, label), newest first

    async def refresh(self) -> None:
        rows = await self.archive.fetchall("SELECT term, doc FROM resources_vocab")
        self._vocabulary = _Vocabulary({term: doc for term, doc in rows})
        self._titles = [(r.title, r.issue) for r in await self.archive.all_resources()]
        self._folded_titles = [title.casefold() for title, _ in self._titles]
        self._issues = [
            (number, f"#{number} · {format_date(date)} · {title}")
            for number, title, date in await self.archive.issue_numbers()
        ]

    def _groups(self, terms: list[str]) -> list[list[str]]:
        """One group of alternative index words per query word. Two query words that the
        index knows as one ("gpt 3" → gpt3) become one group holding both spellings."""
        groups: list[list[str]] = []
        index = 0
        while index < len(terms):
            joined = "".join(terms[index : index + 2])
            if index + 1 < len(terms) and joined in self._vocabulary.terms:
                groups.append([joined, *self._vocabulary.expand(terms[index])])
                index += 2
            else:
                groups.append(self._vocabulary.expand(terms[index]))
                index += 1
        return groups

    def _fts_query(self, terms: list[str]) -> tuple[str, list[list[str]]]:
        groups = self._groups(terms)
        alternatives = []
        for group in groups:
            for word in group:
                quoted = '"' + word.replace('"', '""') + '"'
                alternatives.append(quoted + ("*" if len(word) >= 4 else ""))
        return " OR ".join(dict.fromkeys(alternatives)), groups

    async def search(self, query: str, limit: int = 10) -> list[SearchHit]:
        """Best matches for ``query``, best first; any string is a valid query."""
        terms = [t[:MAX_TERM_CHARS] for t in tokens(query)][:MAX_QUERY_TERMS]
        terms = [t for t in terms if t not in STOPWORDS] or terms
        if not terms or limit < 1:
            return []
        match, groups = self._fts_query(terms)
        weights = ", ".join(str(w) for w in _BM25_WEIGHTS)
        rows = await self.archive.fetchall(
            f"SELECT r.key, bm25(resources_fts, {weights}) AS rank FROM resources_fts"
            " JOIN resources r ON r.id = resources_fts.rowid"
            " WHERE resources_fts MATCH ? ORDER BY rank LIMIT ?",
            (match, CANDIDATES),
        )
        if not rows:
            return []
        ranks = {key: -rank for key, rank in rows}
        records = await self.archive.resources_by_key(list(ranks))
        best_rank = max(ranks.values()) or 1.0
        phrase = " ".join(w for group in groups for w in group[:1])
        hits = [
            SearchHit(record, _score(record, groups, phrase, ranks[record.key] / best_rank))
            for record in records
        ]
        hits.sort(key=lambda hit: (-hit.score, -hit.resource.issue))
        return hits[:limit]

    def suggest(self, query: str, limit: int = 3) -> list[str]:
        """Titles close to a query that found nothing ("did you mean …")."""
        if not query.strip() or not self._titles:
            return []
        found = process.extract(
            query.casefold(),
            self._folded_titles,
            scorer=fuzz.partial_ratio,
            score_cutoff=60,
            limit=limit,
        )
        return [self._titles[index][0] for _, _, index in found]

    def autocomplete_titles(
        self, partial: str, limit: int = AUTOCOMPLETE_LIMIT
    ) -> list[tuple[str, int]]:
        """Resource titles for a partly typed query: (title, issue), at most ``limit``."""
        limit = min(limit, AUTOCOMPLETE_LIMIT)
        partial = partial.strip().casefold()
        if not partial:
            return list(reversed(self._titles[-limit:]))
        prefixed = [
            entry
            for entry, folded in zip(self._titles, self._folded_titles, strict=True)
            if folded.startswith(partial)
        ]
        found = process.extract(
            partial,
            self._folded_titles,
            scorer=fuzz.partial_ratio,
            score_cutoff=70,
            limit=limit,
        )
        fuzzy = [self._titles[index] for _, _, index in found]
        return list(dict.fromkeys(prefixed + fuzzy))[:limit]

    def autocomplete_issues(
        self, partial: str, limit: int = AUTOCOMPLETE_LIMIT
    ) -> list[tuple[int, str]]:
        """Issues for a partly typed number ("2" → #28, #23, #2) or words of their title or
        month, newest first: (number, label), at most ``limit``."""
        wanted = partial.strip().lstrip("#").casefold()
        if wanted.isdigit():
            found = [(n, label) for n, label in self._issues if str(n).startswith(wanted)]
        else:
            found = [(n, label) for n, label in self._issues if wanted in label.casefold()]
        return found[: min(limit, AUTOCOMPLETE_LIMIT)]


def _score(record: ResourceRecord, groups: list[list[str]], phrase: str, bm25: float) -> float:
    """Blend of query coverage (title above text), phrase presence and bm25, in 0..1."""
    title_words = tokens(record.title)
    body_words = tokens(record.text) + tokens(" ".join(record.links))
    in_title = sum(any(_matches(t, w) for t in group for w in title_words) for group in groups)
    in_body = sum(any(_matches(t, w) for t in group for w in body_words) for group in groups)
    count = len(groups)
    covered = max(in_title, in_body) / count
    phrase_bonus = 0.0
    if count > 1:
        if phrase in " ".join(title_words):
            phrase_bonus = 1.0
        elif phrase in " ".join(body_words):
            phrase_bonus = 0.5
    return 0.35 * (in_title / count) + 0.3 * covered + 0.15 * phrase_bonus + 0.2 * bm25
