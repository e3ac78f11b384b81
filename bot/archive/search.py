"""Ranked, typo-tolerant search over resources, and autocomplete.

FTS5 finds candidates (bm25, title weighted above text); query words missing from the
index's own vocabulary are replaced by their closest vocabulary words (rapidfuzz, compared
only with words of a length that can be that close) first. At most ``CANDIDATES`` are re-ranked.
Candidates are then re-ranked by how much of the query they cover, in the title above all,
and whether they hold the query as a phrase. User text never reaches ``MATCH`` unquoted:
the query is cut into word tokens, each quoted. Autocomplete asks the index for the newest titles whose
words begin with what was typed, in the index's own order, so it costs the same at any size.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz, process

from bot.archive.db import Database, where_newsletter
from bot.archive.issues import RESOURCE_COLUMNS, Issues, resource_record
from bot.archive.records import NO_FILTERS, ResourceRecord, SearchFilters, SearchHit, format_date
from bot.content.blocks import STOPWORDS

if TYPE_CHECKING:
    from bot.archive.links import LinkStatuses

MAX_QUERY_TERMS = 16
MAX_TERM_CHARS = 40
CANDIDATES = 200
AUTOCOMPLETE_LIMIT = 25
#: Autocomplete words this short are not looked up in the index (they begin words of most
#: titles) but among the ``_SHORT_WORDS_WINDOW`` newest titles.
_SHORT_WORD = 2
_SHORT_WORDS_WINDOW = 1000
_TOKEN = re.compile(r"[^\W_]+")  # letters and digits: "_" separates words, as in unicode61
_TYPO_CUTOFF = 80.0
#: A stopword held by more than this share of the resources is left out of a query.
_COMMON_SHARE = 0.02
_BM25_WEIGHTS = (8.0, 1.0, 0.5)
_DIGITS = frozenset("0123456789")
#: A resource whose every link is dead keeps this share of its score: it ranks below equal
#: matches that still lead somewhere, and is never hidden.
DEAD_LINKS_WEIGHT = 0.6


def tokens(text: str) -> list[str]:
    """Word tokens as the index sees them (``unicode61``: letters and digits, lower case)."""
    return _TOKEN.findall(text.casefold())


class Vocabulary:
    """The index's words with how many resources hold each, grouped by length so that a
    misspelt word is compared only with words long enough to be within the typo cutoff."""

    def __init__(self, terms: dict[str, int], documents: int = 0) -> None:
        self.terms = terms
        self.documents = documents
        by_length: dict[int, list[str]] = {}
        # Numbers (from links: issue numbers, ids, dates) are half the words of an archive;
        # they are left out of the comparison with a word they can't come close to.
        not_numbers: dict[int, list[str]] = {}
        for word in terms:
            by_length.setdefault(len(word), []).append(word)
            if not (word.isdigit() and word.isascii()):
                not_numbers.setdefault(len(word), []).append(word)
        self._by_length = by_length
        self._by_length_not_numbers = not_numbers

    def is_noise(self, term: str) -> bool:
        """A stopword that many resources hold: it would match half the archive and rank
        nothing. A stopword the archive rarely uses ("those", "should") still narrows."""
        return term in STOPWORDS and self.terms.get(term, 0) > _COMMON_SHARE * self.documents

    def close_words(self, term: str, cutoff: float = _TYPO_CUTOFF) -> list[tuple[str, float]]:
        """Words within ``cutoff`` (rapidfuzz ratio) of ``term``, best first."""
        # ratio = 2·matches / (len(a) + len(b)) ≥ cutoff bounds how far the lengths may differ.
        share = cutoff / (200 - cutoff)
        low, high = math.ceil(len(term) * share), math.floor(len(term) / share)
        digits = sum(1 for ch in term if ch in _DIGITS)
        found: list[tuple[str, float]] = []
        for length in range(low, high + 1):
            # A number shares at most the term's digits with it (the margin: float rounding).
            numbers_close = 200 * min(digits, length) / (len(term) + length) >= cutoff - 1e-6
            words = (self._by_length if numbers_close else self._by_length_not_numbers).get(length)
            if words:
                found += [
                    (word, score)
                    for word, score, _ in process.extract(
                        term, words, scorer=fuzz.ratio, score_cutoff=cutoff, limit=5
                    )
                ]
        return sorted(found, key=lambda item: -item[1])[:5]

    def split(self, term: str) -> list[str]:
        """``term`` cut into the fewest words the index knows ("thebitterlesson" → the,
        bitter, lesson); empty when it can't be."""
        best: list[list[str] | None] = [[]] + [None] * len(term)
        for end in range(1, len(term) + 1):
            for start in range(max(0, end - MAX_TERM_CHARS), end - 1):
                before, current = best[start], best[end]
                shorter = current is None or (before is not None and len(before) + 1 < len(current))
                if before is not None and shorter and term[start:end] in self.terms:
                    best[end] = [*before, term[start:end]]
        return best[-1] or []

    def expand(self, term: str) -> list[str]:
        """``term`` itself when the index knows it, else the closest words it does know."""
        if term in self.terms or len(term) < 3:
            return [term]
        found = self.close_words(term)
        if not found:
            return [term]
        best = found[0][1]
        close = [word for word, score in found if score >= best - 3]
        return sorted(close, key=lambda word: -self.terms[word])[:3]


def _quoted(word: str, prefix: bool) -> str:
    return '"' + word.replace('"', '""') + '"' + ("*" if prefix else "")


class Search:
    """Search and autocomplete over the archive; ``refresh`` after every content change."""

    def __init__(
        self,
        db: Database,
        issues: Issues,
        names: Mapping[str, str],
        statuses: LinkStatuses | None = None,
    ) -> None:
        """``names``: each newsletter's name by id; with several, issue labels start with it.
        ``statuses``: what the link checker found (dead links rank lower, every hit carries
        its links' health)."""
        self._db = db
        self._statuses = statuses
        self._issue_reader = issues
        self._names = dict(names)
        self._vocabulary = Vocabulary({})
        self._issues: list[tuple[str, int, str]] = []  # (newsletter, number, label), newest first

    async def refresh(self) -> None:
        """Re-read the vocabulary and the issue list (built off the event loop: thousands of
        issue labels take tens of milliseconds)."""
        rows = await self._db.rows("SELECT term, doc FROM resources_vocab")
        _, documents = await self._issue_reader.counts()
        issues = await self._issue_reader.listing()
        self._vocabulary, self._issues = await asyncio.to_thread(
            lambda: (Vocabulary(dict(rows), documents), self._issue_labels(issues))
        )

    def _issue_labels(
        self, issues: list[tuple[str, int, str, str | None]]
    ) -> list[tuple[str, int, str]]:
        """(newsletter, number, label) of each issue, newest first."""
        several = len(self._names) > 1
        order = {letter: index for index, letter in enumerate(self._names)}
        issues.sort(key=lambda issue: (-issue[1], order.get(issue[0], len(order))))
        return [
            (
                letter,
                number,
                (f"{self._names.get(letter, letter)} · " if several else "")
                + f"#{number} · {format_date(date)} · {title}",
            )
            for letter, number, title, date in issues
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

    @staticmethod
    def _fts_query(groups: list[list[str]], every: bool = False) -> str:
        """The index query: resources holding a word of any group, or (``every``) of each."""
        if every:
            return " AND ".join(f"({Search._fts_query([group])})" for group in groups)
        alternatives = [_quoted(word, len(word) >= 4) for group in groups for word in group]
        return " OR ".join(dict.fromkeys(alternatives))

    async def find(
        self,
        query: str,
        limit: int = 10,
        newsletter: str | None = None,
        filters: SearchFilters = NO_FILTERS,
    ) -> list[SearchHit]:
        """Best matches for ``query`` (in ``newsletter``, or in all; within ``filters``),
        best first; any string is a valid query."""
        terms = [t[:MAX_TERM_CHARS] for t in tokens(query)][:MAX_QUERY_TERMS]
        telling = [t for t in terms if not self._vocabulary.is_noise(t)]
        terms = telling or terms
        if not terms or limit < 1:
            return []
        groups = self._groups(terms)
        # A query of nothing but words most resources hold gives bm25 nothing to rank by, and
        # ranking every resource that holds them is the slowest query there is (a quarter of a
        # second at 600,000 resources): its candidates are the ones loaded last that hold them.
        weights = _BM25_WEIGHTS if telling else None
        if len(groups) > 1:
            # Resources that hold every query word rank first anyway; when there are enough of
            # them (or more than the candidates taken), ranking all that hold any one word
            # (many more) is not needed.
            every = self._fts_query(groups, every=True)
            hits, more = await self._ranked(every, weights, groups, newsletter, filters)
            if len(hits) >= limit or more:
                return self._annotated(hits[:limit])
        hits, _ = await self._ranked(self._fts_query(groups), weights, groups, newsletter, filters)
        return self._annotated(hits[:limit])

    def _annotated(self, hits: list[SearchHit]) -> list[SearchHit]:
        statuses = self._statuses
        if statuses is None:
            return hits
        return [SearchHit(statuses.annotate(hit.resource), hit.score) for hit in hits]

    async def _ranked(
        self,
        match: str,
        weights: tuple[float, ...] | None,
        groups: list[list[str]],
        newsletter: str | None,
        filters: SearchFilters,
    ) -> tuple[list[SearchHit], bool]:
        """The candidates ``match`` finds, re-ranked, each resource once; and whether it finds
        more than the candidates taken."""
        found, more = await _ranked_resources(
            self._db, match, weights, CANDIDATES, newsletter, filters
        )
        if not found:
            return [], more
        best_rank = max(-rank for _, rank in found) or 1.0
        scorer = _Scorer(groups)
        hits = [
            SearchHit(record, scorer.score(record, -rank / best_rank)) for record, rank in found
        ]
        statuses = self._statuses
        if statuses is not None:
            hits = [
                SearchHit(hit.resource, hit.score * DEAD_LINKS_WEIGHT)
                if statuses.all_dead(hit.resource.links)
                else hit
                for hit in hits
            ]
        hits.sort(key=lambda hit: (-hit.score, -hit.resource.issue))
        return _distinct(hits), more

    async def suggest(self, query: str, newsletter: str | None = None, limit: int = 3) -> list[str]:
        """Titles close to a query that found nothing ("did you mean …")."""
        words = [t[:MAX_TERM_CHARS] for t in tokens(query) if t not in STOPWORDS]
        alternatives = [
            _quoted(word, len(word) >= 4)
            for term in words[:MAX_QUERY_TERMS]
            for word in [
                term,
                *(w for w, _ in self._vocabulary.close_words(term, 70.0)),
                *(w for w in self._vocabulary.split(term) if w not in STOPWORDS),
            ]
        ]
        if not alternatives:
            return []
        match = "title : (" + " OR ".join(dict.fromkeys(alternatives)) + ")"
        found = await _titles_matching(self._db, match, limit, newsletter=newsletter)
        return [title for title, _ in found]

    async def autocomplete_titles(
        self, partial: str, newsletter: str | None = None, limit: int = AUTOCOMPLETE_LIMIT
    ) -> list[tuple[str, int]]:
        """Resource titles for a partly typed query: (title, issue), at most ``limit``.

        Every word typed must begin a word of the title; titles that begin with what was typed
        come first.
        """
        limit = min(limit, AUTOCOMPLETE_LIMIT)
        words = [t[:MAX_TERM_CHARS] for t in tokens(partial)][:MAX_QUERY_TERMS]
        if not words:
            return await _newest_titles(self._db, limit, newsletter)
        short = [w for w in words if len(w) <= _SHORT_WORD]
        if len(short) == len(words):
            # Words this short begin words of most titles: a prefix query would walk nearly
            # every entry of the index, so look among the newest titles only.
            newest = await _newest_titles(self._db, _SHORT_WORDS_WINDOW, newsletter)
            found = [entry for entry in newest if _begins_words(short, entry[0])]
        else:
            # Finished words are first looked up whole, which the index reads lazily (a prefix
            # first gathers every word it begins); as prefixes only if that finds too few.
            # Short words are not in the index query: they filter its newest matches.
            longer = [(i == len(words) - 1, w) for i, w in enumerate(words) if len(w) > _SHORT_WORD]
            wanted = _SHORT_WORDS_WINDOW if short else limit * 2
            found = []
            for whole in (True, False):
                terms = [_quoted(w, last or not whole) for last, w in longer]
                match = "title : (" + " AND ".join(terms) + ")"
                found = await _titles_matching(
                    self._db, match, wanted, newest_first=True, newsletter=newsletter
                )
                found = [entry for entry in found if _begins_words(short, entry[0])]
                if len(found) >= limit or all(last for last, _ in longer):
                    break
        start = partial.strip().casefold()
        found.sort(key=lambda entry: not entry[0].casefold().startswith(start))
        return found[:limit]

    def autocomplete_issues(
        self, partial: str, newsletter: str | None = None, limit: int = AUTOCOMPLETE_LIMIT
    ) -> list[tuple[int, str]]:
        """Issues (of ``newsletter``, or of all) for a partly typed number ("2" → #28, #23,
        #2) or words of their title or month, newest first: (number, label), at most
        ``limit``. Of all newsletters, a number is offered once, as the issue the number
        alone finds: the first newsletter's, in config order."""
        wanted = partial.strip().lstrip("#").casefold()
        limit = min(limit, AUTOCOMPLETE_LIMIT)
        issues = [(n, label) for letter, n, label in self._issues if newsletter in (None, letter)]
        if newsletter is None:
            first: dict[int, tuple[int, str]] = {}
            for item in issues:
                first.setdefault(item[0], item)
            issues = list(first.values())
        if wanted.isdigit():
            found = (item for item in issues if str(item[0]).startswith(wanted))
        else:
            found = (item for item in issues if wanted in item[1].casefold())
        return list(itertools.islice(found, limit))

    async def autocomplete_sections(
        self, partial: str, newsletter: str | None = None, limit: int = AUTOCOMPLETE_LIMIT
    ) -> list[str]:
        """Section names (of ``newsletter``, or of any) holding what was typed, most used first."""
        wanted = partial.strip().casefold()
        found = await self._issue_reader.sections(newsletter)
        return [section for section in found if wanted in section.casefold()][:limit]

    async def autocomplete_years(self, partial: str, newsletter: str | None = None) -> list[int]:
        """Years issues (of ``newsletter``, or of any) are dated that begin with what was
        typed, newest first."""
        wanted = partial.strip()
        return [y for y in await self._issue_reader.years(newsletter) if str(y).startswith(wanted)]


def _begins_words(words: list[str], title: str) -> bool:
    """Whether each of ``words`` begins a word of ``title``."""
    title_words = tokens(title)
    return all(any(t.startswith(w) for t in title_words) for w in words)


def _distinct(hits: list[SearchHit]) -> list[SearchHit]:
    """One hit per resource: one featured again in a later issue (same title, and same links
    or, having none, same text) is shown once, the best-scored (then newest) time."""
    seen: set[tuple[str, tuple[str, ...] | str]] = set()
    distinct = []
    for hit in hits:
        resource = hit.resource
        same = (resource.title.casefold(), resource.links or resource.text)
        if same not in seen:
            seen.add(same)
            distinct.append(hit)
    return distinct


def _word_pattern(term: str, whole: bool) -> str:
    """Where ``term`` begins a word of the text (``whole``: is one)."""
    # The word first, then the look-behind that no letter or digit stands before it: a
    # pattern that opens with text is searched for that text (fast), one that opens with a
    # look-behind is tried at every position.
    word = re.escape(term)
    return rf"{word}(?<![^\W_]{word})" + (r"(?![^\W_])" if whole else "")


class _Scorer:
    """The re-ranking of one query's candidates: how much of the query each covers, in the
    title above all, and whether it holds the query's words in a row.

    Patterns over the case-folded text stand for comparing its ``tokens`` (a word of 4 letters
    or more may begin one, as the index's prefix query does): a word begins where no letter
    or digit stands before it, and the words of a phrase are apart by anything else."""

    def __init__(self, groups: list[list[str]]) -> None:
        # A word the index knows but ``tokens`` would split (a private-use character) can't
        # be one of the text's tokens: it holds nowhere.
        self._groups = [
            re.compile(
                "|".join(_word_pattern(t, len(t) < 4) for t in group if _TOKEN.fullmatch(t))
                or "(?!)"
            )
            for group in groups
        ]
        firsts = [group[0] for group in groups]
        self._phrase = None
        if len(groups) > 1 and all(_TOKEN.fullmatch(word) for word in firsts):
            rest = "".join(r"[\W_]+" + re.escape(word) for word in firsts[1:])
            self._phrase = re.compile(_word_pattern(firsts[0], False) + rest)

    def score(self, record: ResourceRecord, bm25: float) -> float:
        """Blend of query coverage (title above text), phrase presence and bm25, in 0..1."""
        title = record.title.casefold()
        body = f"{record.text} {' '.join(record.links)}".casefold()
        in_title = sum(1 for group in self._groups if group.search(title))
        in_body = sum(1 for group in self._groups if group.search(body))
        count = len(self._groups)
        covered = max(in_title, in_body) / count
        phrase_bonus = 0.0
        if self._phrase is not None:
            if self._phrase.search(title):
                phrase_bonus = 1.0
            elif self._phrase.search(body):
                phrase_bonus = 0.5
        return 0.35 * (in_title / count) + 0.3 * covered + 0.15 * phrase_bonus + 0.2 * bm25


# -- its SQL ---------------------------------------------------------------------------


def _narrowed(filters: SearchFilters) -> tuple[str, tuple[Any, ...]]:
    """Conditions on ``r`` (resources) for ``filters``; always true when there are none."""
    conditions: list[str] = ["1"]
    params: list[Any] = []
    if filters.issue is not None:
        conditions.append("r.issue = ?")
        params.append(filters.issue)
    if filters.year is not None:
        conditions.append(
            "EXISTS (SELECT 1 FROM issues y WHERE y.newsletter = r.newsletter"
            " AND y.number = r.issue AND y.year = ?)"
        )
        params.append(filters.year)
    if filters.section is not None:
        conditions.append("r.section = ? COLLATE NOCASE")
        params.append(filters.section)
    return " AND ".join(conditions), tuple(params)


async def _ranked_resources(
    db: Database,
    match: str,
    weights: tuple[float, ...] | None,
    limit: int,
    newsletter: str | None = None,
    filters: SearchFilters = NO_FILTERS,
) -> tuple[list[tuple[ResourceRecord, float]], bool]:
    """The ``limit`` resources that ``match`` (an FTS5 query) finds best, of ``newsletter``
    (or of any) and within ``filters``, each with its bm25 rank (column ``weights``; with
    none, the last loaded are taken, each ranked 0), in archive order; and whether
    ``match`` finds more."""
    if weights is None:
        rank, order = "0.0", "resources_fts.rowid DESC"
    else:  # equal ranks: the last loaded first
        bm25 = f"bm25(resources_fts, {', '.join(str(w) for w in weights)})"
        rank, order = bm25, "rank, resources_fts.rowid DESC"
    where, params = where_newsletter(newsletter)
    narrowed, narrowing = _narrowed(filters)
    # With no condition on the resource, the index alone picks the best: joining every
    # match to its row first costs a third of the query.
    join = " JOIN resources r ON r.id = resources_fts.rowid" if params or narrowing else ""
    rows = await db.rows(
        f"SELECT {RESOURCE_COLUMNS}, r.position, best.rank FROM ("
        f"SELECT resources_fts.rowid AS id, {rank} AS rank FROM resources_fts{join}"
        f" WHERE resources_fts MATCH ? AND {where} AND {narrowed} ORDER BY {order} LIMIT ?"
        ") best JOIN resources r ON r.id = best.id"
        " JOIN issues i ON i.newsletter = r.newsletter AND i.number = r.issue"
        " ORDER BY best.rank, best.id DESC",
        (match, *params, *narrowing, limit + 1),
    )
    best = sorted(rows[:limit], key=lambda row: (row[10], row[1], row[11]))
    return [(resource_record(row[:11]), row[12]) for row in best], len(rows) > limit


async def _titles_matching(
    db: Database,
    match: str,
    limit: int,
    *,
    newest_first: bool = False,
    newsletter: str | None = None,
) -> list[tuple[str, int]]:
    """Titles of resources that ``match`` finds, (title, issue): best title match first,
    or in the index's own order, last loaded first (no ranking: costs the same at any size)."""
    order = "resources_fts.rowid DESC" if newest_first else "bm25(resources_fts, 10.0, 0.0, 0.0)"
    where, params = where_newsletter(newsletter)
    return await db.rows(
        "SELECT r.title, r.issue FROM resources_fts JOIN resources r"
        f" ON r.id = resources_fts.rowid WHERE resources_fts MATCH ? AND {where}"
        f" ORDER BY {order} LIMIT ?",
        (match, *params, limit),
    )


async def _newest_titles(
    db: Database, limit: int, newsletter: str | None = None
) -> list[tuple[str, int]]:
    """The titles of the newest issues' resources: (title, issue)."""
    where, params = where_newsletter(newsletter, "newsletter")
    return await db.rows(
        f"SELECT title, issue FROM resources WHERE {where} ORDER BY issue DESC, position LIMIT ?",
        (*params, limit),
    )
