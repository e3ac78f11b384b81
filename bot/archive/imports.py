"""An issue brought in from outside the content folder (a Discord attachment, a link): its
limits, its download, a safe file name, its parse as a preview, and its place in the folder.

The folder stays the one source of truth: an import is saved there as a file, never written
into the database directly, and a reload serves it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import unquote, urlsplit

from bot.archive.folders import write_failure
from bot.archive.issues import Issues
from bot.archive.loader import Loader
from bot.archive.records import LoadReport
from bot.content.loader import parse_one
from bot.content.models import Issue, Problem
from bot.content.parse import CONTENT_SUFFIXES
from bot.errors import FetchRefused, FetchRule
from bot.fetch import fetch_url
from bot.render.operations import folder_unwritable

if TYPE_CHECKING:
    from bot.config import Newsletter

log = logging.getLogger(__name__)

#: The largest file an import takes, in bytes.
MAX_IMPORT_BYTES = 1024 * 1024
#: How long a download may take, in seconds, from the request to the last byte.
IMPORT_TIMEOUT = 20.0
#: The file types an import takes (those the content folder is read from).
IMPORT_SUFFIXES = CONTENT_SUFFIXES
#: How many resources a preview lists by title.
PREVIEW_RESOURCES = 5

_BY_CONTENT_TYPE = {"text/html": ".html", "text/markdown": ".md", "text/plain": ".txt"}
_UNSAFE = re.compile(r"[^a-z0-9._-]+")

RefusalKind = Literal[
    "scheme",
    "address",
    "redirects",
    "type",
    "size",
    "status",
    "timeout",
    "unreachable",
    "exists",
    "unwritable",
]
#: The import refusal for each rule of the fetch guard.
_BY_RULE: dict[FetchRule, RefusalKind] = {
    "scheme": "scheme",
    "address": "address",
    "redirects": "redirects",
    "size": "size",
    "timeout": "timeout",
    "failed": "unreachable",
}


class ImportRefused(Exception):
    """A file or link an import does not take; ``kind`` says why and ``detail`` names what
    (bot/render words it)."""

    def __init__(self, kind: RefusalKind, detail: str = "") -> None:
        self.kind = kind
        self.detail = detail
        super().__init__(f"{kind}: {detail}" if detail else kind)


@dataclass(frozen=True)
class ImportFile:
    """A downloaded file: the name it came with and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class ImportPreview:
    """What an import would add to a newsletter, before it is saved."""

    newsletter: str
    #: The name the file is saved under (unless one by that name is there by then).
    file_name: str
    data: bytes
    #: The parsed issue, or None when the file is not one (``problems`` says why).
    issue: Issue | None
    problems: tuple[Problem, ...]
    #: The file that already serves this issue number, when one does.
    existing: str | None = None

    @property
    def can_save(self) -> bool:
        return self.issue is not None and self.existing is None


@dataclass(frozen=True)
class SavedImport:
    """Where an import was saved (a file name in the newsletter's folder)."""

    newsletter: str
    file_name: str
    number: int


def check_name(name: str) -> str:
    """The suffix of ``name`` (lower case) if an import takes it; ``ImportRefused`` if not."""
    suffix = Path(name).suffix.lower()
    if suffix not in IMPORT_SUFFIXES:
        raise ImportRefused("type", suffix or name)
    return suffix


def check_size(size: int) -> None:
    if size > MAX_IMPORT_BYTES:
        raise ImportRefused("size", str(size))


def safe_name(name: str) -> str:
    """A file name the content folder can hold: the last part of ``name``, in lower-case
    ASCII letters, digits, '.', '_' and '-', with a suffix an import takes, never hidden or
    skipped by the loader (a README, a leading '.' or '_')."""
    suffix = check_name(name)
    stem = unicodedata.normalize("NFKD", Path(name.replace("\\", "/")).name[: -len(suffix)])
    stem = _UNSAFE.sub("-", stem.encode("ascii", "ignore").decode().lower()).strip("-._")
    stem = stem[:80] or "imported"
    if stem.startswith("readme"):
        stem = f"imported-{stem}"
    return stem + suffix


def free_name(folder: Path, name: str) -> str:
    """``name``, or ``stem-2.ext``, ``stem-3.ext`` … when a file by that name is in ``folder``
    (compared without case, as some file systems do)."""
    taken = {path.name.lower() for path in folder.iterdir()}
    stem, suffix = name[: -len(Path(name).suffix)], Path(name).suffix
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem}-{n}{suffix}"
    return candidate


def url_name(url: str, content_type: str) -> str:
    """The name of a downloaded file: the last part of its address, or ``import`` with the
    suffix its content type gives when the address names no file an import takes."""
    last = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    if Path(last).suffix.lower() in IMPORT_SUFFIXES:
        return last
    suffix = _BY_CONTENT_TYPE.get(content_type.split(";")[0].strip().lower())
    if suffix is None:
        raise ImportRefused("type", content_type or last)
    return (Path(last).stem or "import") + suffix


async def download(
    url: str, *, timeout: float = IMPORT_TIMEOUT, allow_private_hosts: bool = False
) -> ImportFile:
    """The file at ``url`` fetched through the guard (bot/fetch.py: http or https, a public
    address unless ``allow_private_hosts``), within the size limit and the timeout;
    ``ImportRefused`` otherwise."""
    try:
        got = await fetch_url(
            url,
            max_bytes=MAX_IMPORT_BYTES,
            timeout=timeout,
            allow_private_hosts=allow_private_hosts,
        )
    except FetchRefused as error:
        raise ImportRefused(_BY_RULE[error.rule], error.detail) from None
    if got.status != 200:
        raise ImportRefused("status", str(got.status))
    return ImportFile(url_name(got.url, got.headers.get("Content-Type", "")), got.body)


def parse_import(
    name: str, data: bytes, newsletter: Newsletter
) -> tuple[Issue | None, list[Problem]]:
    """``data`` parsed as the loader parses a file called ``name`` of ``newsletter``."""
    with tempfile.TemporaryDirectory(prefix="import-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return parse_one(path, newsletter.rules, newsletter.name)


def write_import(folder: Path, name: str, data: bytes) -> str:
    """Write ``data`` into ``folder`` under ``name`` or the next free name (never over a file
    that is there); the name used."""
    while True:
        chosen = free_name(folder, name)
        try:
            with (folder / chosen).open("xb") as file:
                file.write(data)
        except FileExistsError:  # written meanwhile by someone else: take the next name
            continue
        return chosen


class Imports:
    """Issues brought in from Discord attachments and links: checked, previewed, saved into
    their newsletter's folder and loaded."""

    def __init__(
        self,
        newsletters: list[Newsletter],
        issues: Issues,
        loader: Loader,
        *,
        allow_private_hosts: bool = False,
    ) -> None:
        self._allow_private_hosts = allow_private_hosts
        self._newsletters = newsletters
        self._issues = issues
        self._loader = loader

    def _newsletter(self, newsletter: str | None) -> Newsletter:
        return next((n for n in self._newsletters if n.id == newsletter), self._newsletters[0])

    @staticmethod
    def check(name: str, size: int) -> None:
        """``ImportRefused`` for a file an import does not take, by its name and size (before
        it is downloaded)."""
        check_name(name)
        check_size(size)

    async def download(self, url: str) -> ImportFile:
        """The issue file at ``url`` (http or https, a public address unless private hosts are
        allowed), within the import limits; ``ImportRefused`` says why not."""
        return await download(url, allow_private_hosts=self._allow_private_hosts)

    async def preview(self, name: str, data: bytes, newsletter: str | None = None) -> ImportPreview:
        """``data`` (a file called ``name``) read as an issue of ``newsletter`` (default: the
        first), as a load would read it, without saving anything; ``ImportRefused`` for a
        type an import does not take."""
        chosen = self._newsletter(newsletter)
        file_name = safe_name(name)
        issue, problems = await asyncio.to_thread(parse_import, file_name, data, chosen)
        existing = None
        if issue is not None:
            found = await self._issues.get(issue.number, chosen.id)
            existing = found.source if found is not None else None
        return ImportPreview(chosen.id, file_name, data, issue, tuple(problems), existing)

    async def save(self, preview: ImportPreview) -> tuple[SavedImport, LoadReport]:
        """Write a previewed issue into its newsletter's content folder (under a free name:
        never over a file), then load it (which queues its announcement); where it went and
        what the load changed. ``ImportRefused`` when the folder can't be written (its
        detail: the ``WriteFailure``; the log names the folder and the fix), or its number
        was loaded since the preview (checked while no other load or save can run, so two saves of one number
        can't both succeed), ``ValueError`` for a preview that can't be saved."""
        issue = preview.issue
        if issue is None or not preview.can_save:
            raise ValueError("this preview cannot be saved")
        chosen = self._newsletter(preview.newsletter)
        async with self._loader.lock:
            found = await self._issues.get(issue.number, chosen.id)
            if found is not None:  # loaded since the preview
                raise ImportRefused("exists", found.source)
            try:
                name = await asyncio.to_thread(
                    write_import, chosen.folder, preview.file_name, preview.data
                )
            except OSError as error:
                kind = write_failure(error)
                detail = error.strerror or str(error)
                log.error(folder_unwritable(chosen.folder, kind, detail, "an imported issue"))
                raise ImportRefused("unwritable", kind) from None
            report = await self._loader.load_now()
        return SavedImport(chosen.id, name, issue.number), report
