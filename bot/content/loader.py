"""Reading one content file: which files of a folder are issues, one file's issue or its
problem, and one issue per number. The archive's loader (``bot.archive.loader``) runs these
over a whole folder, in worker processes when there are many files.
"""

from __future__ import annotations

from pathlib import Path

from bot.content.assemble import Rules
from bot.content.models import Issue, Problem
from bot.content.parse import CONTENT_SUFFIXES, ParseError, parse_file


def _is_content_name(name: str) -> bool:
    return Path(name).suffix.lower() in CONTENT_SUFFIXES and not name.lower().startswith(
        ("readme", ".", "_")
    )


def content_files(folder: Path) -> list[Path]:
    """Issue files in ``folder`` (.txt, .md, .markdown, .html, .htm): regular files only, not
    READMEs or hidden/underscore files (``passed_over`` names what else is there)."""
    return sorted(
        path
        for path in folder.iterdir()
        if _is_content_name(path.name) and path.is_file() and not path.is_symlink()
    )


def passed_over(folder: Path) -> list[Problem]:
    """A warning for each entry of ``folder`` named like an issue file that is not read: a
    symbolic link (it could lead anywhere on the host), or no regular file (a FIFO would
    block the load, a device or socket holds no issue)."""
    problems = []
    for path in sorted(folder.iterdir()):
        if not _is_content_name(path.name):
            continue
        if path.is_symlink():
            why = "is a symbolic link, which the bot does not follow: copy the file in instead"
        elif not path.is_file() and not path.is_dir():
            why = "is not a regular file (a FIFO, socket or device): replace it with the file"
        else:
            continue
        problems.append(Problem(path.name, None, f"skipped: {why}", fatal=False))
    return problems


def parse_one(path: Path, rules: Rules, name: str) -> tuple[Issue | None, list[Problem]]:
    """One file's issue and warnings, or its fatal problem: never raises (``name``: the
    newsletter's, which issues titled only with it are told apart from)."""
    try:
        issue, problems = parse_file(path, rules, name)
        return issue, problems
    except ParseError as error:
        return None, [error.problem]
    except Exception as error:  # a parser bug must cost one file, not the whole archive
        return None, [
            Problem(path.name, None, f"cannot be parsed ({type(error).__name__}: {error})")
        ]


def missing_folder(folder: Path) -> Problem:
    """The problem of a content folder that is not there."""
    return Problem(
        str(folder), None, "content folder not found (check content.folder in the config)"
    )
