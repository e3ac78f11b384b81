"""A content folder → every issue in it, or the list of problems that stop it loading."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Settings
from bot.content.assemble import Rules
from bot.content.issue_meta import DateAnchor, infer_dates
from bot.content.models import Issue, Problem
from bot.content.parse import CONTENT_SUFFIXES, ParseError, parse_file
from bot.errors import ContentError


@dataclass
class LoadResult:
    issues: list[Issue]
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.fatal]


@dataclass(frozen=True)
class ContentSource:
    """Where the content is and how to read it: everything the loader needs from config."""

    folder: Path
    rules: Rules
    newsletter_name: str
    cadence_months: int = 1
    date_anchor: DateAnchor | None = None

    @classmethod
    def from_settings(cls, settings: Settings, folder: Path | None = None) -> ContentSource:
        parser = settings.content.parser
        return cls(
            folder=(folder or settings.content_folder).resolve(),
            rules=Rules.compile(
                parser.section_headings,
                parser.boilerplate,
                parser.end_markers,
                parser.caption_markers,
            ),
            newsletter_name=settings.newsletter.name,
            cadence_months=settings.newsletter.cadence_months,
            date_anchor=_anchor(settings),
        )


def _anchor(settings: Settings) -> DateAnchor | None:
    setting = settings.newsletter.date_anchor
    if setting is None:
        return None
    year, month = map(int, setting.date.split("-"))
    return DateAnchor(setting.number, year, month)


def content_files(folder: Path) -> list[Path]:
    """Issue files in ``folder``: ``.txt`` and ``.md``, not READMEs or hidden/underscore files."""
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file()
        and path.suffix.lower() in CONTENT_SUFFIXES
        and not path.name.lower().startswith(("readme", ".", "_"))
    )


def read_folder(source: ContentSource) -> LoadResult:
    """Parse every issue in the folder, collecting problems instead of stopping at the first."""
    if not source.folder.is_dir():
        problem = Problem(
            str(source.folder),
            None,
            "content folder not found (check content.folder in the config)",
        )
        return LoadResult([], [problem])
    issues: list[Issue] = []
    problems: list[Problem] = []
    seen: dict[int, str] = {}
    for path in content_files(source.folder):
        try:
            issue, warnings = parse_file(path, source.rules, source.newsletter_name)
        except ParseError as error:
            problems.append(error.problem)
            continue
        problems.extend(warnings)
        if issue.number in seen:
            problems.append(
                Problem(
                    path.name,
                    None,
                    f"issue number {issue.number} is also in {seen[issue.number]} "
                    "(fix one with front matter: '---' / 'number: N' / '---')",
                )
            )
            continue
        seen[issue.number] = path.name
        issues.append(issue)
    if not issues and not problems:
        problems.append(
            Problem(str(source.folder), None, "no issue files (.txt or .md) in the content folder")
        )
    issues.sort(key=lambda issue: issue.number)
    infer_dates(issues, source.cadence_months, source.date_anchor)
    return LoadResult(issues, problems)


def load_issues(source: ContentSource) -> LoadResult:
    """Like ``read_folder``, but raise ``ContentError`` if any file failed."""
    result = read_folder(source)
    if result.errors:
        raise ContentError(result.errors)
    return result
