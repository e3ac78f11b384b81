"""Imports in the core: a file read as an issue of a newsletter (a preview that saves
nothing), saved into the content folder under a safe, free name and reloaded; the refusals
(type, size, scheme, status, redirects, internal addresses) and downloads from a local server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web

from bot.archive.imports import (
    IMPORT_SUFFIXES,
    MAX_IMPORT_BYTES,
    ImportRefused,
    download,
    free_name,
    safe_name,
)
from bot.archive.service import ArchiveService
from bot.config import Network, Settings
from bot.render.messages import import_refused_message

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

NEW_ISSUE = (
    "---\nnumber: 29\ndate: 2022-05\n---\n# Machine Learning Monthly May 2022\n\n"
    "## Brand new tool\n\nIt does things.\n\n## Another paper\n\nIt says things.\n"
)


async def test_a_preview_reads_the_issue_and_saves_nothing(
    service: ArchiveService, content_dir: Path
) -> None:
    before = sorted(p.name for p in content_dir.iterdir())
    preview = await service.imports.preview("May 2022.md", NEW_ISSUE.encode())
    assert preview.issue is not None and preview.can_save
    assert (preview.issue.number, preview.issue.date) == (29, "2022-05")
    assert preview.issue.title == "Machine Learning Monthly May 2022"
    assert [r.title for r in preview.issue.resources] == ["Brand new tool", "Another paper"]
    assert preview.file_name == "may-2022.md"
    assert preview.existing is None
    assert sorted(p.name for p in content_dir.iterdir()) == before
    assert await service.issues.get(29) is None


async def test_saving_writes_the_file_and_reloads(
    service: ArchiveService, content_dir: Path
) -> None:
    preview = await service.imports.preview("issue-29.md", NEW_ISSUE.encode())
    saved, report = await service.imports.save(preview)
    assert (saved.file_name, saved.number) == ("issue-29.md", 29)
    assert (content_dir / "issue-29.md").read_bytes() == NEW_ISSUE.encode()
    assert report.summaries[0].added == (29,)
    latest = await service.issues.latest()
    assert latest is not None and latest.number == 29


async def test_a_number_already_served_is_a_problem_and_cannot_be_saved(
    service: ArchiveService, content_dir: Path
) -> None:
    existing = await service.issues.get(28)
    assert existing is not None
    text = NEW_ISSUE.replace("number: 29", "number: 28")
    preview = await service.imports.preview("again.md", text.encode())
    assert preview.existing == existing.source and not preview.can_save
    with pytest.raises(ValueError):
        await service.imports.save(preview)
    assert not (content_dir / "again.md").exists()


async def test_a_number_loaded_after_the_preview_is_refused_at_save(
    service: ArchiveService, content_dir: Path
) -> None:
    first = await service.imports.preview("one.md", NEW_ISSUE.encode())
    second = await service.imports.preview("two.md", NEW_ISSUE.encode())
    await service.imports.save(first)
    with pytest.raises(ImportRefused) as refused:
        await service.imports.save(second)
    assert (refused.value.kind, refused.value.detail) == ("exists", "one.md")
    assert not (content_dir / "two.md").exists()


async def test_a_file_by_that_name_is_never_overwritten(
    service: ArchiveService, content_dir: Path
) -> None:
    (content_dir / "issue-29.md").write_text("not an issue at all\n")
    preview = await service.imports.preview("issue-29.md", NEW_ISSUE.encode())
    saved, _ = await service.imports.save(preview)
    assert saved.file_name == "issue-29-2.md"
    assert (content_dir / "issue-29.md").read_text() == "not an issue at all\n"
    assert (content_dir / "issue-29-2.md").read_bytes() == NEW_ISSUE.encode()


async def test_a_file_that_is_not_an_issue_has_its_problem(service: ArchiveService) -> None:
    preview = await service.imports.preview("notes.txt", b"Just some words, no number.\n")
    assert preview.issue is None and not preview.can_save
    assert [p.fatal for p in preview.problems] == [True]
    assert "no issue number found" in str(preview.problems[0])


def test_refusals_by_name_and_size(service: ArchiveService) -> None:
    with pytest.raises(ImportRefused) as wrong_type:
        service.imports.check("photo.png", 10)
    assert (wrong_type.value.kind, wrong_type.value.detail) == ("type", ".png")
    with pytest.raises(ImportRefused) as too_large:
        service.imports.check("issue.md", MAX_IMPORT_BYTES + 1)
    assert too_large.value.kind == "size"
    service.imports.check("Issue.HTM", MAX_IMPORT_BYTES)


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("../../etc/Issue 12 (final).MD", "issue-12-final.md"),
        ("C:\\Users\\me\\issue-3.txt", "issue-3.txt"),
        (".hidden.md", "hidden.md"),
        ("_draft.md", "draft.md"),
        ("README.md", "imported-readme.md"),
        ("Édition n°7.html", "edition-n7.html"),
        ("???.txt", "imported.txt"),
    ],
)
def test_safe_names(given: str, safe: str) -> None:
    assert safe_name(given) == safe


def test_free_names(tmp_path: Path) -> None:
    (tmp_path / "Issue-4.md").write_text("")
    (tmp_path / "issue-4-2.md").write_text("")
    assert free_name(tmp_path, "issue-4.md") == "issue-4-3.md"
    assert free_name(tmp_path, "issue-5.md") == "issue-5.md"


@dataclass
class Served:
    base: str
    port: int
    #: The path of every request the server got.
    paths: list[str]


@pytest.fixture
async def server() -> AsyncIterator[Served]:
    """A local web server: an issue, a page without a suffix, a big file, an image, a 404."""
    paths: list[str] = []

    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        paths.append(request.path)
        return await handler(request)

    async def issue(_: web.Request) -> web.Response:
        return web.Response(text=NEW_ISSUE, content_type="text/markdown")

    async def page(_: web.Request) -> web.Response:
        return web.Response(
            text="<html><body><h1>Issue 30</h1></body></html>", content_type="text/html"
        )

    async def big(_: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(_)
        for _n in range(MAX_IMPORT_BYTES // 1024 + 2):
            await response.write(b"x" * 1024)
        return response

    async def image(_: web.Request) -> web.Response:
        return web.Response(body=b"\x89PNG", content_type="image/png")

    async def loop(_: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    app = web.Application(middlewares=[record])
    app.router.add_get("/issues/issue-29.md", issue)
    app.router.add_get("/issues/30", page)
    app.router.add_get("/big", big)
    app.router.add_get("/image", image)
    app.router.add_get("/loop", loop)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield Served(f"http://127.0.0.1:{port}", port, paths)
    await runner.cleanup()


async def test_downloads_name_the_file_from_the_address_or_its_type(server: Served) -> None:
    got = await download(f"{server.base}/issues/issue-29.md", allow_private_hosts=True)
    assert (got.name, got.data) == ("issue-29.md", NEW_ISSUE.encode())
    page = await download(f"{server.base}/issues/30", allow_private_hosts=True)
    assert page.name == "30.html"


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/big", "size"), ("/image", "type"), ("/missing.md", "status"), ("/loop", "redirects")],
)
async def test_downloads_refused(server: Served, path: str, kind: str) -> None:
    with pytest.raises(ImportRefused) as refused:
        await download(server.base + path, allow_private_hosts=True)
    assert refused.value.kind == kind


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/issue.md", "issue.md"])
async def test_only_http_links_are_downloaded(url: str) -> None:
    with pytest.raises(ImportRefused) as refused:
        await download(url)
    assert refused.value.kind == "scheme"


async def test_a_server_that_is_not_there_is_refused() -> None:
    with pytest.raises(ImportRefused) as refused:
        await download("http://127.0.0.1:9/issue.md", allow_private_hosts=True)
    assert refused.value.kind == "unreachable"


async def test_by_default_an_import_from_the_local_server_is_refused_unasked(
    service: ArchiveService, server: Served
) -> None:
    """The default config: every spelling of the local server is refused with the reason, and
    the server never hears of it."""
    for host in (
        "127.0.0.1",
        "localhost",
        "127.1",
        "2130706433",
        "0177.0.0.1",
        "[::ffff:127.0.0.1]",
    ):
        with pytest.raises(ImportRefused) as refused:
            await service.imports.download(f"http://{host}:{server.port}/issues/issue-29.md")
        assert refused.value.kind == "address"
        assert refused.value.detail.endswith(", loopback")
        message = import_refused_message(
            refused.value.kind, refused.value.detail, MAX_IMPORT_BYTES, IMPORT_SUFFIXES
        )
        assert message.startswith("That link leads to an address that is not public (")
        assert "loopback" in message and "network.allow_private_hosts" in message
    assert server.paths == []


async def test_allow_private_hosts_lets_a_self_hoster_import_from_their_network(
    tmp_path: Path, settings: Settings, content_dir: Path, server: Served
) -> None:
    network = Network(allow_private_hosts=True)
    service = await ArchiveService.open(
        tmp_path / "archive.sqlite3",
        settings.served_newsletter(folder=content_dir),
        network=network,
    )
    try:
        got = await service.imports.download(f"{server.base}/issues/issue-29.md")
    finally:
        await service.close()
    assert got.data == NEW_ISSUE.encode()
    assert server.paths == ["/issues/issue-29.md"]
