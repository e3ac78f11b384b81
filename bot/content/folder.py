"""The folder pass: what one newsletter's issues, read together, settle that one file cannot.

Each file is parsed on its own; then ``settle`` looks at the whole folder of one newsletter:

- numbers: the part of the file names or titles that varies from issue to issue while the
  rest stays the same is the number; a candidate that fits the folder's sequence beats one
  that does not; two files with one number are both named, the one that fits better is kept;
- chrome: resources that recur, same title and link, across most issues (site header,
  subscribe box, sponsor slot, sign-off) are dropped, each drop kept with its issue;
- dates: stated, else fitted to this folder's own dated issues (``infer_dates``);
- silent losses: an issue with far fewer resources than its links or its neighbours is
  reported.

Pure: lists of issues in, issues and problems out; no I/O.
"""

from __future__ import annotations

import bisect
import statistics
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from bot.content.issue_meta import Cadence, DateAnchor, file_day, infer_dates
from bot.content.models import Dropped, Issue, NumberCandidate, NumberSource, Problem

NO_NUMBER = (
    "no issue number found (write it as '12th issue' or 'Issue #12', name the file "
    "'issue-12.md', or add front matter: '---' / 'number: 12' / '---')"
)
#: A part of the names or titles is the varying number when it is in at least this share of
#: the issues (and two of them), with a different value in almost each.
_SLOT_SHARE = 0.5
_SLOT_DISTINCT = 0.9
#: Chrome recurs in at least this share of the issues, and this many of them.
_CHROME_SHARE = 0.5
_CHROME_ISSUES = 3
_CHROME_EVERYWHERE = 0.8
#: An issue is reported when its resources are fewer than this over its links (times the
#: share of links the folder's issues serve) or its neighbours' (the median of this many on
#: each side), where those are at least the floor.
_LOSS_RATIO = 3
_NEIGHBOURS = 5
_LOSS_FLOOR = 20
_RANK: dict[NumberSource, int] = {"metadata": 0, "text": 1, "file name": 2, "sequence": 3}
_SEQUENCE_WHERE = "the folder's date order (the issues state no number)"


@dataclass
class FolderResult:
    """The issues served (numbered, dated, chrome dropped), the problems found, and how many
    resources were dropped as chrome."""

    issues: list[Issue]
    problems: list[Problem] = field(default_factory=list)
    chrome: int = 0
    #: What counted as chrome, (title, links) folded: kept with the archive, so that files
    #: read later on their own drop it too (``settle``'s ``known_chrome``).
    chrome_keys: frozenset[ChromeKey] = frozenset()


def settle(
    issues: list[Issue],
    *,
    cadence: Cadence | None = None,
    anchor: DateAnchor | None = None,
    served: Collection[str] = (),
    known_chrome: Collection[ChromeKey] = (),
) -> FolderResult:
    """Settle one newsletter's parsed issues as a folder (each issue kept is updated in
    place). ``served`` names the files whose issues are served already and are not read
    again (their resources are not here): a file claiming one of their numbers does not
    displace them, and they are not compared for chrome or losses. ``cadence`` and
    ``anchor`` are the newsletter's own configured ones, if any; ``known_chrome``, what a
    whole read of the folder found to be chrome, is dropped from the files read now as well
    (one new file has nothing to recur across)."""
    problems: list[Problem] = []
    _sequence(issues, served)
    numbered = _number(issues, problems)
    kept = _unique(numbered, served, problems)
    read = [i for i in kept if i.source not in served]
    chrome, keys = _drop_chrome(read, len(kept), frozenset(known_chrome))
    days = {i.source: day for i in kept if (day := file_day(i.source)) is not None}
    _mistyped_years(kept, problems)
    infer_dates(kept, cadence, anchor, days)
    problems += _losses(read)
    return FolderResult(sorted(kept, key=lambda i: i.number), problems, chrome, keys)


# -- dates ----------------------------------------------------------------------------------

_MISTYPED_YEAR = (
    "the date states {0}-{1:02d}, out of order between issues {2} and {3}: using {4}-{1:02d} "
    "(fix the year, or state the date in front matter: '---' / 'date: YYYY-MM-DD' / '---')"
)


def _mistyped_years(issues: list[Issue], problems: list[Problem]) -> None:
    """A numbered issue whose stated year puts it out of order between the dated issues
    numbered either side of it, where the same month a year later (or earlier) puts it in
    order, has its year mistyped ("February 4 2015" between January and February 2016):
    it takes that year, with a warning naming both."""
    dated = sorted(
        (issue.number, (year, month), issue)
        for issue in issues
        if issue.number > 0 and issue.stated is not None
        for year, month in [issue.stated]
        if year is not None and month is not None
    )
    for (first, low, _), (_, (year, month), issue), (last, high, _) in zip(
        dated, dated[1:], dated[2:], strict=False
    ):
        if low <= (year, month) <= high or not low <= high:
            continue
        for fixed in (year + 1, year - 1):
            if low <= (fixed, month) <= high:
                issue.stated = (fixed, month)
                message = _MISTYPED_YEAR.format(year, month, first, last, fixed)
                problems.append(Problem(issue.source, None, message, fatal=False))
                break


# -- numbers --------------------------------------------------------------------------------


def _sequence(issues: list[Issue], served: Collection[str]) -> None:
    """Number a dated, unnumbered newsletter by date order: when no issue of the folder
    states a number (those served already were numbered so), each dated one is given its
    place among them, marked as the folder's ("sequence"), so that it can be asked for by
    number. Issues served keep theirs; new ones follow the highest, in date order. In a
    folder whose other issues state numbers, an unnumbered file is refused as before."""
    fresh = [i for i in issues if not i.number_candidates]
    before = [i for i in issues if i.number_candidates]
    if not fresh or any(i.source not in served or i.number_source != "sequence" for i in before):
        return
    start = max((i.number for i in before), default=0) + 1
    dated = [i for i in fresh if i.stated and i.stated[0] is not None and i.stated[1] is not None]
    dated.sort(key=lambda i: (i.stated, file_day(i.source) or 0, i.source))
    for number, issue in enumerate(dated, start):
        issue.number, issue.number_source = number, "sequence"
        issue.number_candidates = (
            NumberCandidate(number, "sequence", _SEQUENCE_WHERE, explicit=False),
        )


def _slots(issues: list[Issue]) -> set[tuple[NumberSource, str]]:
    """The places (file name or title, and the characters before the digits) where the
    number varies from issue to issue while the rest stays the same: in half the issues or
    more, a different value in almost each, and agreeing with what the issues that state
    their number say (an export's sequence, ``000_…``, ``001_…``, does not)."""
    values: dict[tuple[NumberSource, str], list[tuple[int, Issue]]] = {}
    for issue in issues:
        seen = set()
        for guess in issue.number_candidates:
            key = (guess.source, guess.context)
            if guess.guess and key not in seen:
                seen.add(key)
                values.setdefault(key, []).append((guess.number, issue))
    least = max(2, _SLOT_SHARE * len(issues))
    slots = set()
    for key, found in values.items():
        if len(found) < least or len({n for n, _ in found}) < _SLOT_DISTINCT * len(found):
            continue
        stated = [(n, _claims(i)) for n, i in found if _claims(i)]
        agree = sum(1 for n, claims in stated if n in claims)
        if not stated or agree * 2 > len(stated):
            slots.add(key)
    return slots


def _claims(issue: Issue) -> set[int]:
    return {c.number for c in issue.number_candidates if not c.guess and c.explicit}


def _lone_name_number(issue: Issue) -> NumberCandidate | None:
    """In a folder too small to compare, the one number in a file's name."""
    named = [c for c in issue.number_candidates if c.guess and c.source == "file name"]
    return named[0] if len(named) == 1 else None


def _candidates(
    issue: Issue, slots: set[tuple[NumberSource, str]], small: bool
) -> list[NumberCandidate]:
    """An issue's candidates worth choosing from, strongest first: its metadata, the folder's
    varying part, then its other claims (a guess elsewhere is no number)."""
    claims = [c for c in issue.number_candidates if not c.guess]
    varying = [c for c in issue.number_candidates if c.guess and (c.source, c.context) in slots]
    if not claims and not varying and small and (lone := _lone_name_number(issue)):
        varying = [lone]
    metadata = [c for c in claims if c.source == "metadata"]
    return metadata + varying + [c for c in claims if c.source != "metadata"]


def _stated_month(issue: Issue) -> tuple[int, int] | None:
    stated = issue.stated or (None, None)
    return (stated[0], stated[1]) if stated[0] is not None and stated[1] is not None else None


class _DateOrder:
    """How many dated issues a number puts out of order, for every issue of a folder at once:
    the dated issues sorted by
    month, and for a month the sorted numbers of those before it and after it (built once per
    month asked about), so each question costs a few binary searches instead of a pass over
    the folder (a pass per issue was quadratic: seconds at a few thousand issues)."""

    def __init__(self, numbered: Iterable[tuple[int, Issue]]) -> None:
        dated = sorted(
            (month, number)
            for number, issue in numbered
            if (month := _stated_month(issue)) is not None
        )
        self._months = [month for month, _ in dated]
        self._numbers = [number for _, number in dated]
        self._before: dict[int, list[int]] = {}
        self._after: dict[int, list[int]] = {}

    def breaks(self, number: int, issue: Issue) -> int:
        """How many dated issues (of another month) ``number`` would put out of order with
        ``issue``'s stated month."""
        month = _stated_month(issue)
        if month is None:
            return 0
        start = bisect.bisect_left(self._months, month)
        end = bisect.bisect_right(self._months, month)
        if start not in self._before:
            self._before[start] = sorted(self._numbers[:start])
        if end not in self._after:
            self._after[end] = sorted(self._numbers[end:])
        before, after = self._before[start], self._after[end]
        return len(before) - bisect.bisect_right(before, number) + bisect.bisect_left(after, number)


def _number(issues: list[Issue], problems: list[Problem]) -> list[Issue]:
    """Give each issue the candidate that fits the folder best; refuse those with none."""
    slots = _slots(issues)
    small = len(issues) <= 2
    choices = {id(i): _candidates(i, slots, small) for i in issues}
    # What each issue is provisionally numbered, to see whether a candidate fits the others:
    # the folder's varying part where it has one, else its strongest claim.
    provisional = {
        id(i): next((c.number for c in choices[id(i)] if c.guess), choices[id(i)][0].number)
        for i in issues
        if choices[id(i)]
    }
    taken = Counter(provisional.values())
    order = _DateOrder((provisional[id(i)], i) for i in issues if id(i) in provisional)
    numbered = []
    for issue in issues:
        candidates = choices[id(issue)]
        if not candidates:
            problems.append(Problem(issue.source, None, NO_NUMBER))
            continue
        mine = provisional[id(issue)]
        chosen = next(
            (c for c in candidates if _fits(c.number, issue, mine, taken, order)), candidates[0]
        )
        issue.number, issue.number_source = chosen.number, chosen.source
        issue.number_candidates = (chosen, *[c for c in issue.number_candidates if c != chosen])
        numbered.append(issue)
        problems += [
            Problem(
                issue.source,
                chosen.line if chosen.line is not None else other.line,
                f"issue number {chosen.number} from {chosen.where} differs from "
                f"{other.number} in {other.where}; using {chosen.number}",
                fatal=False,
            )
            for other in _unique_numbers(candidates)
            if other.number != chosen.number and (other.explicit or other.guess)
        ]
    return numbered


def _fits(number: int, issue: Issue, mine: int, taken: Counter[int], order: _DateOrder) -> bool:
    """Does ``number`` fit the folder: no other issue has it, and it keeps the dated issues
    in order (one out of order is allowed: a date can be wrong too)?"""
    clash = taken[number] - (number == mine)
    return clash == 0 and order.breaks(number, issue) <= 1


def _unique_numbers(candidates: list[NumberCandidate]) -> list[NumberCandidate]:
    """The first candidate of each number."""
    seen: set[int] = set()
    unique = []
    for candidate in candidates:
        if candidate.number not in seen:
            seen.add(candidate.number)
            unique.append(candidate)
    return unique


def _unique(issues: list[Issue], served: Collection[str], problems: list[Problem]) -> list[Issue]:
    """One issue per number: the one served already, else the one that fits the folder
    better (in order with the dated issues, of a size like the others', numbered by a
    stronger source, larger); every other is refused with a problem naming both files."""
    by_number: dict[int, list[Issue]] = {}
    for issue in sorted(issues, key=lambda i: i.source):
        by_number.setdefault(issue.number, []).append(issue)
    sizes = [len(i.resources) for i in issues]
    typical = statistics.median(sizes) if sizes else 0
    kept = []
    order = _DateOrder((i.number, i) for i in issues)  # a number's own group never counts
    for number, group in sorted(by_number.items()):
        if len(group) == 1:
            kept.append(group[0])
            continue
        winner = min(group, key=lambda i: _rank(i, served, order, typical))
        kept.append(winner)
        problems += [
            Problem(
                other.source,
                None,
                f"issue number {number} is also in {winner.source}, which is kept "
                "(fix one with front matter: '---' / 'number: N' / '---')",
            )
            for other in group
            if other is not winner
        ]
    return kept


def _rank(
    issue: Issue, served: Collection[str], order: _DateOrder, typical: float
) -> tuple[bool, int, bool, int, int]:
    """How well an issue holds its number, best lowest."""
    return (
        issue.source not in served,
        order.breaks(issue.number, issue),
        len(issue.resources) < typical / 4,
        _RANK[issue.number_source],
        -len(issue.resources),
    )


# -- chrome ---------------------------------------------------------------------------------


#: A resource as chrome is recognised: its title, folded, and its links.
ChromeKey = tuple[str, tuple[str, ...]]


def _key(title: str, links: tuple[str, ...]) -> ChromeKey:
    return " ".join(title.casefold().split()), links


def _drop_chrome(
    issues: list[Issue], total: int, known: frozenset[ChromeKey]
) -> tuple[int, frozenset[ChromeKey]]:
    """Drop the resources that recur, same title and links, across most of the newsletter's
    ``total`` issues (``issues`` are those read now), and those ``known`` to; how many, and
    what recurs among the issues read now."""
    if total < _CHROME_ISSUES:
        return 0, frozenset()
    ordered = sorted(issues, key=lambda i: i.number)
    where: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    for position, issue in enumerate(ordered):
        for key in {_key(r.title, r.links) for r in issue.resources}:
            where.setdefault(key, []).append(position)
    least = max(_CHROME_ISSUES, _CHROME_SHARE * total)
    quarter = len(ordered) / 4
    # Chrome is in nearly every issue, or in the first and the last issues alike; what
    # recurs in a run of issues only (an event listed three weeks running) is content.
    found = frozenset(
        key
        for key, places in where.items()
        if len(places) >= least
        and (
            len(places) >= _CHROME_EVERYWHERE * len(ordered)
            or (places[0] < quarter and places[-1] >= len(ordered) - quarter)
        )
    )
    chrome = found | known
    if not chrome:
        return 0, found
    dropped = 0
    for issue in issues:
        kept = []
        for resource in issue.resources:
            if _key(resource.title, resource.links) in chrome:
                issue.dropped.append(Dropped(resource.title, "chrome"))
                dropped += 1
            else:
                kept.append(resource)
        issue.resources = kept
    return dropped, found


# -- silent losses --------------------------------------------------------------------------


def _losses(issues: list[Issue]) -> list[Problem]:
    """A warning for each issue that serves far fewer resources than its text has links
    (for the share of its links the folder's issues usually serve), or than the issues
    around it serve."""
    ordered = sorted(issues, key=lambda i: i.number)
    sizes = [len(i.resources) for i in ordered]
    linked = [len(i.resources) / i.links_seen for i in ordered if i.links_seen >= _LOSS_FLOOR]
    share = min(1.0, statistics.median(linked)) if len(linked) >= 2 else 1.0
    problems = []
    for index, issue in enumerate(ordered):
        have = sizes[index]
        around = sizes[max(0, index - _NEIGHBOURS) : index]
        around += sizes[index + 1 : index + 1 + _NEIGHBOURS]
        usual = statistics.median(around) if len(around) >= 2 else 0
        expected = share * issue.links_seen
        if expected >= _LOSS_FLOOR and have * _LOSS_RATIO < expected:
            reason = f"its text has {issue.links_seen} links"
        elif usual >= _LOSS_FLOOR and have * _LOSS_RATIO < usual:
            reason = f"the issues around it serve about {usual:g}"
        else:
            continue
        problems.append(
            Problem(
                issue.source,
                None,
                f"only {have} resource{'s' if have != 1 else ''} found, but {reason}: part of "
                "the issue may be read as its introduction or footer (see what was dropped "
                "with 'python -m bot inspect')",
                fatal=False,
            )
        )
    return problems
