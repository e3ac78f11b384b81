"""Parsed files as the rows the store writes.

Parse workers run ``parse_task`` and import only this module and the content layer (no
database, no config), so that a pool of them starts in a fraction of the time.
"""

from __future__ import annotations

__all__ = [
    "FileState", "IssueContent", "ParsedFile", "Reading", "as_issue", "fingerprint", "issue_content", "parse_chunk",
    "parse_task", "resource_key",
]  # fmt: skip

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any

from bot.content import loader
from bot.content.assemble import Rules
from bot.content.models import Issue, Problem, Resource


def _json_strings(strings: Iterable[str]) -> str:
    """``json.dumps(list(strings))``, without its set-up for each call (a load makes one for
    every resource)."""
    return "[" + ", ".join(map(encode_basestring_ascii, strings)) + "]"


def resource_key(newsletter: str, issue: int, title: str) -> str:
    """A resource's identity across reloads (pick history refers to it)."""
    return f"{newsletter}/{issue}-{hashlib.sha1(title.casefold().encode()).hexdigest()[:12]}"


@dataclass(frozen=True)
class FileState:
    """What a content file looked like when it was last read."""

    name: str
    size: int
    mtime_ns: int
    sha256: str


@dataclass(frozen=True)
class IssueContent:
    """One issue as parsed, its resources already rows: built where the file was parsed (a
    worker process for a large load), so that the bot's own process only writes them."""

    state: FileState
    #: The issue's own fields (its dates are settled later); its resources are in ``resources``.
    issue: Issue
    resources: list[tuple[Any, ...]]
    #: Digest of the title, URL and resources: what the file says, before any dating.
    digest: str


def issue_content(newsletter: str, state: FileState, issue: Issue) -> IssueContent:
    """``issue`` as the rows ``ContentStore.apply`` writes."""
    resources = []
    keys: set[str] = set()
    for position, resource in enumerate(issue.resources):
        key = resource_key(newsletter, issue.number, resource.title)
        if key in keys:  # two resources with one title: tell them apart by position
            key = f"{key}-{position}"
        keys.add(key)
        links = _json_strings(resource.links)
        resources.append(
            (key, newsletter, issue.number, position, resource.title, resource.text, links,
             resource.section)
        )  # fmt: skip
    payload = json.dumps(
        [issue.title, issue.url, [(r.title, r.text, r.links, r.section) for r in issue.resources]],
        ensure_ascii=False,
    )
    digest = hashlib.sha1(payload.encode()).hexdigest()
    return IssueContent(state, replace(issue, resources=[]), resources, digest)


def as_issue(content: IssueContent) -> Issue:
    """The issue ``content`` holds, its resources read back from their rows."""
    resources = [
        Resource(title, text, tuple(json.loads(links)), section)
        for _key, _letter, _number, _position, title, text, links, section in content.resources
    ]
    return replace(content.issue, resources=resources)


def fingerprint(content: IssueContent) -> str:
    """What an issue holds, dates included: a changed fingerprint is a changed issue."""
    issue = content.issue
    return hashlib.sha1(f"{content.digest} {issue.year} {issue.month}".encode()).hexdigest()


@dataclass(frozen=True)
class ParsedFile:
    """One file read: its issue, or the problem that stops it; warnings either way."""

    state: FileState
    content: IssueContent | None
    problems: tuple[Problem, ...]


#: What parsing a newsletter's files needs: its id, its rules and its name (small and
#: picklable, so that parse workers import neither the config nor the database).
Reading = tuple[str, Rules, str]


def parse_chunk(items: list[tuple[Path, FileState]], reading: Reading) -> list[ParsedFile]:
    """Parse ``items`` in this process, in order."""
    newsletter, rules, name = reading
    parsed = []
    for path, state in items:
        issue, problems = loader.parse_one(path, rules, name)
        content = issue_content(newsletter, state, issue) if issue else None
        parsed.append(ParsedFile(state, content, tuple(problems)))
    return parsed


def parse_task(task: tuple[list[tuple[Path, FileState]], Reading]) -> list[ParsedFile]:
    """``parse_chunk`` as one task for a worker process."""
    return parse_chunk(*task)
