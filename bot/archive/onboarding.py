"""A new newsletter in minutes: read its folder as the bot would, propose its config entry,
write it into the config file.

``propose`` reads the folder through the loader's dry run with the rules a new entry gets
when it names none (``ParserRules()``'s defaults, and no calendar): another newsletter's
boilerplate or dated issue would misread a folder it was not written for. From what it read it
learns the name (the constant part of the titles or file names around the varying number),
the cadence (the pace of the issues that state their date) and patterns for the chrome the
folder pass dropped; then it reads the folder again as the proposed entry would serve it.

``add_entry`` writes the entry with ruamel.yaml, keeping the file's comments and layout; a
file in the single ``newsletter:`` + ``content:`` form becomes a ``newsletters:`` list whose
first entry keeps that newsletter's id and every setting.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import tempfile
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.tokens import CommentToken

from bot.archive.loader import LoadResult, dry_run
from bot.config import NEWSLETTER_ID, Newsletter, NewsletterEntry, Settings, load_settings
from bot.content.issue_meta import DIGITS, file_day, masked_dates, stated_pace
from bot.content.models import DEFAULT_NEWSLETTER_ID, Issue
from bot.errors import ArchiveBotError, ConfigError
from bot.render import onboarding as say

#: The name a folder is first read under (the parser titles an untitled issue "<name> #N").
_READ_AS = "Newsletter"
#: Words and signs that introduce or close a number in a title, in the languages archives are
#: written in ("Issue No.", "#", "Nr.", "第 … 期", "Выпуск"): not part of the name.
_WORDS = (
    r"issue|edition|number|no|nr|n°|nº|num|vol|volume|episode|ep|ausgabe|numéro|número|"
    r"numero|numer|выпуск|номер"
)
_NUMBER_BEFORE = re.compile(rf"(?:[\s\-–—:|/#№(（\[【《«,.]|(?<!\w)(?:{_WORDS})\.?|第)+$", re.I)
_NUMBER_AFTER = re.compile(r"^(?:[\s\-–—:|/)）\]】》».,]|期|号|(?<!\w)of(?!\w))+", re.I)
_SEPARATORS = re.compile(r"[\s\-–—:|/#(（\[【《«,.]+$")
#: A candidate name is the newsletter's when at least this share of its issues agree on it.
_AGREE = 0.5
#: A name is written in Latin letters when at least this share of its letters are.
_LATIN = 0.8
#: Cadences proposed: a fitted pace within this share of one of them.
_TOLERANCE = 0.15
_WEEKS_PER_MONTH = 30.44 / 7
#: Chrome titles tried as boilerplate patterns, most frequent first.
_PATTERNS = 10
#: The share of a folder's resources a proposed pattern may re-shape.
_RESHAPED = 0.05


@dataclass
class Proposal:
    """A config entry for a folder, and what the bot would serve from it."""

    entry: dict[str, Any]
    newsletter: Newsletter
    result: LoadResult
    #: Where the name came from ("the issue titles", "the file names", "the folder name"…).
    name_from: str
    #: Issues with a stated date the cadence was fitted from.
    dated: int = 0
    #: Titles of the resources the folder pass dropped as chrome, with how often.
    chrome: Counter[str] = field(default_factory=Counter)


class OnboardingRefused(ArchiveBotError):
    """A folder that cannot be proposed, or an entry that cannot be written."""


# -- the name -------------------------------------------------------------------------------


def _key(text: str) -> str:
    return "".join(text.casefold().split())


def _agreed(candidates: list[str], issues: int) -> str | None:
    """The candidate most issues agree on (spaces and case aside), as most of them write
    it, when enough of them do."""
    kept = [c for c in candidates if c]
    if not kept:
        return None
    key, count = Counter(_key(c) for c in kept).most_common(1)[0]
    if count < (issues if issues <= 2 else max(2, _AGREE * issues)):
        return None
    return Counter(c for c in kept if _key(c) == key).most_common(1)[0][0]


def _around(text: str, number: int) -> tuple[str, str] | None:
    """``text`` before and after its digits that read ``number`` (dates left out)."""
    masked = masked_dates(text)
    for match in DIGITS.finditer(masked):
        if int(match.group(0)[:12]) == number:
            return text[: match.start()], text[match.end() :]
    return None


def _clean(text: str) -> str:
    return " ".join(_NUMBER_BEFORE.sub("", _NUMBER_AFTER.sub("", text)).split())


def _common_start(texts: list[str]) -> str:
    """The words every text starts with."""
    words = []
    for group in zip(*(text.split() for text in texts), strict=False):
        if len({word.casefold() for word in group}) > 1:
            break
        words.append(group[0])
    return " ".join(words)


def _own_titles(issues: list[Issue]) -> list[Issue]:
    """Issues titled by their file (not the parser's "<name> #N" for an untitled one)."""
    return [i for i in issues if i.title != f"{_READ_AS} #{i.number}"]


def _from_titles(issues: list[Issue]) -> str | None:
    """The constant part of the titles around the number ("This Week in Rust 59",
    "《X》第 12 期"), before it or else after it."""
    parts = [p for i in _own_titles(issues) if (p := _around(i.title, i.number))]
    before = _agreed([_clean(b) for b, _ in parts], len(issues))
    if before:
        return before
    after = _clean(_common_start([a for _, a in parts])) if len(parts) >= 2 else ""
    return after if len(parts) >= _AGREE * len(issues) and after else None


def _from_file_names(issues: list[Issue]) -> str | None:
    """The constant words of the file names around the number ("this-week-in-x-{N}.md")."""
    words = []
    for issue in issues:
        if issue.number_source != "file name":
            continue
        parts = _around(Path(issue.source).stem, issue.number)
        if parts:
            before, after = (re.sub(r"[_.\-]+", " ", p) for p in parts)
            words.append(_clean(before) or _clean(after))
    name = _agreed(words, len(issues))
    if name and name == name.lower():
        return " ".join(w[:1].upper() + w[1:] for w in name.split())
    return name


def _from_title_starts(issues: list[Issue]) -> str | None:
    """The title most issues share, else the words every title starts with (dates aside)."""
    titles = [i.title for i in _own_titles(issues)]
    if len(titles) < 2:
        return None
    shared = _agreed([" ".join(t.split()) for t in titles], len(titles))
    name = shared or _common_start(titles)
    name = " ".join(_SEPARATORS.sub("", name).split())
    return name if sum(c.isalnum() for c in name) >= 3 else None


def learn_name(issues: list[Issue], folder: Path) -> tuple[str, str]:
    """The newsletter's name, and where it was found."""
    for learn, where in (
        (_from_titles, "the issue titles"),
        (_from_title_starts, "the issue titles"),
        (_from_file_names, "the file names"),
    ):
        name = learn(issues)
        if name:
            return name, where
    words = re.sub(r"[_.\-]+", " ", folder.name).split()
    return " ".join(w[:1].upper() + w[1:] for w in words) or _READ_AS, "the folder name"


def slug(text: str) -> str:
    """A newsletter id made from ``text`` (empty when it has no Latin letters or digits)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:32].strip("-")


def _id_from(name: str, folder: Path) -> str:
    """The name's slug when the name is written in Latin letters, else the folder's."""
    letters = [c for c in name if c.isalpha()]
    latin = sum(1 for c in letters if c.isascii()) >= _LATIN * len(letters)
    return slug(name) if latin and len(slug(name)) >= 3 else slug(folder.name)


def _free_id(candidates: list[str], taken: set[str]) -> str:
    base = next((c for c in candidates if len(c) >= 3), "newsletter")
    found, count = base, 1
    while found in taken:
        count += 1
        found = f"{base[: 32 - len(str(count)) - 1]}-{count}"
    return found


# -- the cadence ----------------------------------------------------------------------------


def fit_cadence(issues: list[Issue]) -> str | None:
    """ "1 week", "2 weeks", "1 month"… from the pace of the issues that state their date;
    None when fewer than two do or they come at no steady, common pace."""
    days = {i.source: day for i in issues if (day := file_day(i.source)) is not None}
    pace = stated_pace(issues, days)
    if pace is None:
        return None
    weeks = pace * _WEEKS_PER_MONTH
    for count, unit, value in (
        *((w, "week", weeks) for w in (1, 2, 3)),
        *((m, "month", pace) for m in (1, 2, 3, 4, 6, 12)),
    ):
        if abs(value - count) <= _TOLERANCE * count:
            return f"{count} {unit}{'s' if count > 1 else ''}"
    return None


# -- chrome ---------------------------------------------------------------------------------


def _chrome(result: LoadResult) -> Counter[str]:
    return Counter(d.text for i in result.issues for d in i.dropped if d.why == "chrome")


def _pattern(title: str) -> str:
    """A boilerplate pattern for a paragraph that is ``title`` alone."""
    words = re.escape(" ".join(title.split())).replace("\\ ", r"\s+")
    return rf"^\W*{words}\W*$"


def _same(again: LoadResult, result: LoadResult) -> bool:
    """Does ``again`` serve what ``result`` does (all but a few resources, which a dropped
    block can re-shape)?"""
    before = {(i.number, r.title, r.links) for i in result.issues for r in i.resources}
    after = {(i.number, r.title, r.links) for i in again.issues for r in i.resources}
    return len(before ^ after) <= _RESHAPED * len(before)


def _chrome_patterns(
    entry: dict[str, Any], folder: Path, result: LoadResult, chrome: Counter[str]
) -> tuple[str, ...]:
    """Boilerplate patterns for the chrome the folder pass dropped, each kept only where it
    serves the folder as the pass did. They matter for the issues to come: a new issue read
    alone (a feed's entry, a file added later) has no folder to recur across."""

    def serves(patterns: list[str]) -> LoadResult | None:
        trial = {**entry, "parser": {"boilerplate": patterns}}
        again = dry_run(_newsletter(trial, folder))
        return again if _same(again, result) else None

    kept = []
    for title, _ in chrome.most_common(_PATTERNS):
        again = serves([_pattern(title)])
        if again is not None and title not in _chrome(again):
            kept.append(_pattern(title))
    return tuple(kept) if len(kept) <= 1 or serves(kept) else ()


# -- the proposal ---------------------------------------------------------------------------


def _newsletter(entry: dict[str, Any], folder: Path) -> Newsletter:
    return Newsletter.of(NewsletterEntry.model_validate({**entry, "folder": folder}), folder)


def _folder_entry(folder: Path, config: Path) -> str:
    """The folder as the entry names it: relative to the config file's folder when it is in
    it or beside it (``../issues``), else in full."""
    relative = Path(os.path.relpath(folder, config.parent))
    return str(folder if relative.parts[:2] == ("..", "..") else relative)


def check_folder(folder: Path) -> Path:
    """``folder`` resolved, or ``OnboardingRefused`` naming why it cannot be read."""
    if not folder.exists():
        raise OnboardingRefused(say.no_folder(folder))
    if not folder.is_dir():
        raise OnboardingRefused(say.not_a_folder(folder))
    if not os.access(folder, os.R_OK | os.X_OK):
        raise OnboardingRefused(say.unreadable(folder))
    return folder.resolve()


def propose(
    settings: Settings, folder: Path, *, newsletter_id: str | None = None, name: str | None = None
) -> Proposal:
    """Read ``folder`` and propose its entry in ``settings``' config; ``OnboardingRefused``
    for a folder served already, an id in use, or a folder nothing can be read from."""
    folder = check_folder(folder)
    taken = {entry.id for entry in settings.entries}
    served = next((n for n in settings.served if n.folder == folder), None)
    if served is not None:
        raise OnboardingRefused(say.served_already(folder, served.id))
    if newsletter_id is not None and not re.match(NEWSLETTER_ID, newsletter_id):
        raise OnboardingRefused(say.bad_id(newsletter_id))
    if newsletter_id in taken:
        raise OnboardingRefused(say.id_taken(newsletter_id, settings.source))
    first = dry_run(_newsletter({"id": newsletter_id or "new", "name": _READ_AS}, folder))
    if not first.issues:
        raise OnboardingRefused(say.nothing_read(folder, first.problems))
    name_from = "--name"
    if name is None:
        name, name_from = learn_name(first.issues, folder)
    newsletter_id = newsletter_id or _free_id([_id_from(name, folder)], taken)
    entry: dict[str, Any] = {
        "id": newsletter_id,
        "name": name,
        "folder": _folder_entry(folder, settings.source),
    }
    cadence = fit_cadence(first.issues)
    if cadence:
        entry["cadence"] = cadence
    chrome = _chrome(first)
    # Read again as the entry would serve it: its name reads titles, its cadence dates.
    result = dry_run(_newsletter(entry, folder))
    boilerplate = _chrome_patterns(entry, folder, result, chrome)
    if boilerplate:
        entry["parser"] = {"boilerplate": list(boilerplate)}
        result = dry_run(_newsletter(entry, folder))
    dated = sum(1 for i in first.issues if i.date and not i.date_inferred)
    return Proposal(entry, _newsletter(entry, folder), result, name_from, dated, chrome)


# -- writing --------------------------------------------------------------------------------


def _yaml(text: str) -> YAML:
    """A round-trip YAML that writes in the file's own indentation."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    mapping = 2
    lines = [line for line in text.splitlines() if line.strip() and line.lstrip()[:1] != "#"]
    for line, following in itertools.pairwise(lines):
        depth = len(line) - len(line.lstrip())
        next_depth = len(following) - len(following.lstrip())
        if line.rstrip().endswith(":") and next_depth > depth and following.lstrip()[:1] != "-":
            mapping = next_depth - depth
            break
    dash = re.search(r"^( *)(\S+):\s*\n((?: *#.*\n)*)( *)- ", text, re.M)
    offset = max(0, len(dash.group(4)) - len(dash.group(1))) if dash else mapping
    yaml.indent(mapping=mapping, sequence=offset + 2, offset=offset)
    yaml.representer.add_representer(type(None), _null)
    return yaml


def _null(representer: Any, _: None) -> Any:
    """``null`` written as the file wrote it, not as nothing."""
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


def _shift_comments(node: Any, by: int, seen: set[int]) -> None:
    """Move the comments inside ``node`` ``by`` columns right (it is now nested deeper)."""
    tokens: list[Any] = []
    holder = getattr(node, "ca", None)
    if holder is not None:
        tokens += [holder.comment, holder.end, *holder.items.values()]
    while tokens:
        token = tokens.pop()
        if isinstance(token, list):
            tokens += token
        elif isinstance(token, CommentToken) and id(token) not in seen:
            seen.add(id(token))
            lines = token.value.split("\n")
            token.value = "\n".join(
                [lines[0], *((" " * by + line) if line.strip() else line for line in lines[1:])]
            )
            if token.start_mark is not None:
                token.start_mark.column += by
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    for child in children:
        _shift_comments(child, by, seen)


def _commented(value: Any) -> Any:
    """``value`` in ruamel's containers, which carry comments."""
    if isinstance(value, dict):
        return CommentedMap((key, _commented(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return CommentedSeq(_commented(item) for item in value)
    return value


def _last_slot(node: Any) -> tuple[Any, Any, int] | None:
    """The innermost last item of ``node``: its container, its key, and the place of the
    comment that follows it (what stands between it and the next top-level key)."""
    slot = None
    while isinstance(node, (CommentedMap, CommentedSeq)) and node:
        key = list(node)[-1] if isinstance(node, CommentedMap) else len(node) - 1
        slot = (node, key, 2 if isinstance(node, CommentedMap) else 0)
        node = node[key]
    return slot


def _move_trailing_comment(previous: Any, added: CommentedMap) -> None:
    """Give the comment and blank lines after the list's last entry to the entry added after
    it, so that they still stand before whatever follows the list."""
    before, after = _last_slot(previous), _last_slot(added)
    if before is None or after is None:
        return
    container, key, place = before
    comments = container.ca.items.get(key)
    if not comments or len(comments) <= place or comments[place] is None:
        return
    token = comments[place]
    comments[place] = None
    target, target_key, target_place = after
    slots = target.ca.items.setdefault(target_key, [None] * 4)
    slots[target_place] = token


def _as_list(data: CommentedMap, yaml: YAML) -> CommentedSeq:
    """``newsletter:`` + ``content:`` turned into a ``newsletters:`` list of one entry that
    keeps the newsletter's id (its content, picks and schedules are stored under it), every
    setting and their comments."""
    single = data["newsletter"] or CommentedMap()
    content = data.get("content") or CommentedMap()
    entry = CommentedMap()
    entry["id"] = single.get("id") or DEFAULT_NEWSLETTER_ID
    for part in (single, content):
        for key, value in part.items():
            if key == "id":
                continue
            entry[key] = value
            if key in part.ca.items:
                entry.ca.items[key] = part.ca.items[key]
    if "folder" not in entry:  # the default a missing content.folder stands for
        entry["folder"] = str(Settings.model_fields["content"].default.folder)
    _shift_comments(entry, (yaml.sequence_indent or 4) - (yaml.map_indent or 2), set())
    newsletters = CommentedSeq([entry])
    position = list(data).index("newsletter")
    for key in ("newsletter", "content"):
        data.pop(key, None)
    data.insert(position, "newsletters", newsletters)
    return newsletters


def add_entry(config: Path, entry: dict[str, Any]) -> tuple[Settings, bool]:
    """Write ``entry`` into the config file (keeping its comments and layout) and load the
    settings again, and whether the single ``newsletter:`` form became a list; the file is
    left as it was if they do not load."""
    before = config.read_text(encoding="utf-8")
    yaml = _yaml(before)
    try:
        data = yaml.load(before)
    except YAMLError as error:
        raise ConfigError(f"{config}: not valid YAML: {error}") from None
    if not isinstance(data, CommentedMap):
        raise ConfigError(f"{config}: expected a mapping of settings at the top level")
    newsletters = data.get("newsletters")
    converted = not isinstance(newsletters, CommentedSeq)
    if not isinstance(newsletters, CommentedSeq):
        if "newsletter" not in data:
            raise ConfigError(say.no_newsletters(config))
        newsletters = _as_list(data, yaml)
    added = _commented(entry)
    if newsletters:
        _move_trailing_comment(newsletters[-1], added)
    newsletters.append(added)
    after = io.StringIO()
    yaml.dump(data, after)
    _replace(config, after.getvalue())
    try:
        return load_settings(config), converted
    except ArchiveBotError as error:
        _replace(config, before)
        raise ConfigError(say.not_written(config, str(error))) from None


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` at once (a new file moved over it, its mode kept)."""
    descriptor, scratch = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(scratch, path.stat().st_mode & 0o7777)
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


def entry_yaml(entry: dict[str, Any]) -> str:
    """The entry as it is written under ``newsletters:``."""
    yaml = YAML()
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump({"newsletters": [entry]}, out)
    return out.getvalue().rstrip("\n")
