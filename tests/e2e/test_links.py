"""The link checker in the real bot process: its background pass checks the links (on a web
host on 127.0.0.1), and a dead link's card shows the "Archived copy" button."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import yaml

from tests.e2e.conftest import BotProcess
from tests.e2e.fake_discord import MODERATOR_ID, FakeDiscord
from tests.e2e.test_bot_end_to_end import first_embed, is_ephemeral, message
from tests.link_server import LinkServer, issue_file

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def link_server() -> AsyncIterator[LinkServer]:
    server = LinkServer()
    await server.start()
    yield server
    await server.stop()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def bot_process(
    fake_discord: FakeDiscord, link_server: LinkServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[BotProcess]:
    """The bot on two issues whose only links go to the local host: May 2020's page is gone
    (what /random picks from: not the latest issue), June 2020's works."""
    process = BotProcess(fake_discord, tmp_path_factory.mktemp("e2e-links"))
    shutil.rmtree(process.content)
    issue_file(process.content, 1, "2020-05", {"A vanished page": link_server.url("/gone")})
    issue_file(process.content, 2, "2020-06", {"A page still there": link_server.url("/ok")})
    data = yaml.safe_load(process.config.read_text())
    data["links"] = {
        "check": True,
        "allow_private_hosts": True,  # the host is on 127.0.0.1
        "dead_after_checks": 1,
        "requests_per_second": 20,
        "per_host_interval_seconds": 0,
    }
    process.config.write_text(yaml.safe_dump(data, allow_unicode=True))
    await process.start()
    yield process
    process.stop()


async def test_a_dead_links_card_shows_the_archived_copy_button(
    fake_discord: FakeDiscord, link_server: LinkServer, bot_process: BotProcess
) -> None:
    await bot_process.wait_for_log("link check: 2 of 2 due links checked: 1 ok, 1 dead.")
    assert sorted(link_server.paths()) == ["/gone", "/gone", "/ok"]  # HEAD; HEAD, GET
    reply = await fake_discord.command("random")
    buttons = message(reply)["components"][0]["components"]
    archived = f"https://web.archive.org/web/20200501/{link_server.url('/gone')}"
    links_out = [(b["label"], b["url"]) for b in buttons if "url" in b]  # besides Save
    assert links_out == [("Archived copy", archived)]
    card = first_embed(reply)
    assert card["url"] == link_server.url("/gone")  # the original address stays
    links = next(field["value"] for field in card["fields"] if field["name"] == "Links")
    assert links == f"{link_server.url('/gone')} · [Archived copy]({archived})"


async def test_moderators_see_the_counts(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    reply = await fake_discord.command("links", user_id=MODERATOR_ID)
    assert is_ephemeral(reply)
    fields = {field["name"]: field["value"] for field in first_embed(reply)["fields"]}
    assert fields["Working"] == "1 (50 %)"
    assert fields["Dead (the archived copy is offered)"] == "1 (50 %)"
    assert fields["Most dead links"] == "127.0.0.1: 1"
