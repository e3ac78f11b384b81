"""``python -m bot links check`` and ``links report`` in a child process, against a web host
on 127.0.0.1: the scenario of issue 22's "Done means"."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, write_config
from tests.link_server import LinkServer, issue_file


@pytest.fixture
async def server() -> AsyncIterator[LinkServer]:
    host = LinkServer()
    await host.start()
    yield host
    await host.stop()


async def console(*argv: str) -> tuple[int, str, str]:
    """``python -m bot ARGV``: its exit code, stdout and stderr (the test's loop serves the
    web host meanwhile)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *argv, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
def config(tmp_path: Path, server: LinkServer) -> Path:
    """An issue dated May 2020 linking to /ok, /gone, /blocked and /moved, checked with
    ``links: {allow_private_hosts: true, dead_after_checks: 1}`` (and quick rates)."""
    content = tmp_path / "content"
    paths = ("/ok", "/gone", "/blocked", "/moved")
    issue_file(content, 12, "2020-05", {p.strip("/").title(): server.url(p) for p in paths})
    path = write_config(tmp_path, content)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["links"].update(
        allow_private_hosts=True,
        dead_after_checks=1,
        per_host_interval_seconds=0,
        requests_per_second=20,
    )
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


async def test_check_then_report_says_the_gone_page_is_dead_with_its_archived_copy(
    config: Path, server: LinkServer
) -> None:
    code, out, err = await console("links", "check", "--config", str(config))
    assert code == 0, err
    assert out.strip() == "4 of 4 due links checked: 1 ok, 1 redirected, 1 blocked, 1 dead."
    assert "4/4 links checked" in err  # the progress bar
    code, out, err = await console("links", "report", "--json", "--config", str(config))
    assert code == 0, err
    report = json.loads(out)
    assert set(report) == {"checked", "ok", "redirected", "blocked", "dead", "unknown", "links"}
    assert {k: v for k, v in report.items() if k != "links"} == {
        "checked": 4, "ok": 1, "redirected": 1, "blocked": 1, "dead": 1, "unknown": 0,
    }  # fmt: skip
    links = {link["url"]: link for link in report["links"]}
    assert all(
        set(link) == {"url", "status", "http_status", "checked_at", "archive_url"}
        for link in links.values()
    )
    gone = links[server.url("/gone")]
    assert (gone["status"], gone["http_status"]) == ("dead", 404)
    assert gone["archive_url"].startswith("https://web.archive.org/web/2020")
    assert gone["archive_url"] == f"https://web.archive.org/web/20200501/{server.url('/gone')}"
    assert [url for url, link in links.items() if link["status"] == "dead"] == [gone["url"]]
    assert [link["archive_url"] for link in links.values() if link is not gone] == [None] * 3
    # A second pass right away has nothing to do.
    code, out, _ = await console("links", "check", "--config", str(config))
    assert (code, out.strip()) == (
        0,
        "No link is due for a check (each is checked again after links.recheck_days).",
    )


async def test_the_resource_json_and_the_text_report_show_the_dead_link(
    config: Path, server: LinkServer
) -> None:
    assert (await console("links", "check", "--config", str(config)))[0] == 0
    code, out, err = await console("issue", "12", "--json", "--config", str(config))
    assert code == 0, err
    health = {h["url"]: h for r in json.loads(out)["resources"] for h in r["link_health"]}
    assert health[server.url("/gone")]["status"] == "dead"
    assert health[server.url("/ok")] == {
        "url": server.url("/ok"), "status": "ok", "archive_url": None,
    }  # fmt: skip
    code, out, _ = await console("links", "report", "--config", str(config))
    assert code == 0
    assert "Dead (the archived copy is offered): 1 (25 %)" in out
    assert "Most dead links:\n  127.0.0.1: 1" in out
    assert f"  {server.url('/gone')}\n    https://web.archive.org/web/20200501/" in out


async def test_an_unknown_newsletter_is_named(config: Path) -> None:
    code, _, err = await console("links", "report", "--newsletter", "nope", "--config", str(config))
    assert code == 2 and "nope" in err
