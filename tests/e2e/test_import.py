"""/import through the real bot process: an attachment the stand-in serves and a link to a
local web server, each previewed (ephemeral), a stranger's Save refused, Cancel saving
nothing, Save writing the file into the content folder, reloading and announcing; /latest
then shows the new issue."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import yaml
from aiohttp import web

from tests.e2e.conftest import BotProcess
from tests.e2e.fake_discord import (
    MODERATOR_ID,
    NEWS_CHANNEL_ID,
    STRANGER_ID,
    FakeDiscord,
    Interaction,
    option,
    subcommand,
)
from tests.e2e.test_bot_end_to_end import first_embed, followed_up, is_ephemeral, message

pytestmark = pytest.mark.asyncio(loop_scope="module")

ISSUE_29 = (
    "---\nnumber: 29\ndate: 2022-05\n---\n# Machine Learning Monthly May 2022\n\n"
    "## Brand new tool\n\nIt does things.\n\n## Another paper\n\nIt says things.\n"
)
ISSUE_30 = (
    "<html><head><title>Machine Learning Monthly June 2022</title></head><body>"
    "<h1>Machine Learning Monthly June 2022</h1><p>30th issue!</p>"
    "<h2>A new dataset</h2><p>It has rows.</p></body></html>"
)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def bot_process(
    fake_discord: FakeDiscord, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[BotProcess]:
    """The bot with ``network.allow_private_hosts`` on, as a self-hoster would set it: the
    web server below is on 127.0.0.1 (test_import_guard.py has the default)."""
    process = BotProcess(fake_discord, tmp_path_factory.mktemp("e2e-import"))
    data = yaml.safe_load(process.config.read_text())
    data["network"]["allow_private_hosts"] = True
    process.config.write_text(yaml.safe_dump(data, allow_unicode=True))
    await process.start()
    yield process
    process.stop()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def web_server() -> AsyncIterator[str]:
    """A web server on 127.0.0.1 with one issue page."""

    async def page(_: web.Request) -> web.Response:
        return web.Response(text=ISSUE_30, content_type="text/html")

    app = web.Application()
    app.router.add_get("/issues/june-2022.html", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def followed_up_click(click: Interaction, timeout: float = 10.0) -> None:
    """Wait for the followup a pressed button sends after editing its message."""
    async with asyncio.timeout(timeout):
        while not click.followups:
            await asyncio.sleep(0.02)


def buttons(reply: Interaction) -> dict[str, str]:
    """The preview's buttons: custom id by label."""
    return {b["label"]: b["custom_id"] for b in message(reply)["components"][0]["components"]}


async def test_an_attachment_is_previewed_then_saved_and_announced(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    announce = await fake_discord.command(
        "announce",
        subcommand("set", option("channel", str(NEWS_CHANNEL_ID), 7)),
        user_id=MODERATOR_ID,
    )
    assert message(announce)["content"].startswith("New issues will be announced in")
    reply = await followed_up(
        await fake_discord.command(
            "import", fake_discord.attach("Issue 29.md", ISSUE_29.encode()), user_id=MODERATOR_ID
        )
    )
    assert is_ephemeral(reply)
    card = first_embed(reply)
    assert card["title"] == "Machine Learning Monthly May 2022"
    assert card["description"].startswith("Issue #29 · May 2022 · 2 resources")
    pressable = buttons(reply)
    assert list(pressable) == ["Save", "Cancel"]
    assert not (bot_process.content / "issue-29.md").exists()
    preview = reply.followup_messages[-1]

    refused = await fake_discord.click(preview, pressable["Save"], user_id=STRANGER_ID)
    assert refused.callback["type"] == 4 and is_ephemeral(refused)
    assert message(refused)["content"].startswith("Only the moderator who ran this import")
    assert not (bot_process.content / "issue-29.md").exists()

    saved = await fake_discord.click(preview, pressable["Save"], user_id=MODERATOR_ID)
    assert saved.callback["type"] == 7  # the preview's buttons are disabled
    assert all(b["disabled"] for b in saved.callback["data"]["components"][0]["components"])
    await followed_up_click(saved)
    assert saved.followups[-1]["content"].startswith(
        "Saved issue #29 as `issue-29.md` in the content folder.\nReloaded: issues added #29."
    )
    assert (bot_process.content / "issue-29.md").read_text() == ISSUE_29
    latest = await fake_discord.command("latest")
    assert first_embed(latest)["title"] == "Machine Learning Monthly May 2022"
    posts = await fake_discord.wait_for_post(NEWS_CHANNEL_ID, 1, timeout=10)
    assert posts[-1]["request"]["embeds"][0]["title"] == "Machine Learning Monthly May 2022"


async def test_a_link_is_previewed_cancelled_then_saved(
    fake_discord: FakeDiscord, bot_process: BotProcess, web_server: str
) -> None:
    link = option("url", f"{web_server}/issues/june-2022.html")
    first = await followed_up(await fake_discord.command("import", link, user_id=MODERATOR_ID))
    assert first_embed(first)["description"].startswith("Issue #30 · ")
    cancelled = await fake_discord.click(
        first.followup_messages[-1], buttons(first)["Cancel"], user_id=MODERATOR_ID
    )
    assert cancelled.callback["type"] == 7
    assert cancelled.callback["data"]["content"] == "Import cancelled: nothing was saved."
    assert not (bot_process.content / "june-2022.html").exists()

    again = await followed_up(await fake_discord.command("import", link, user_id=MODERATOR_ID))
    saved = await fake_discord.click(
        again.followup_messages[-1], buttons(again)["Save"], user_id=MODERATOR_ID
    )
    await followed_up_click(saved)
    assert saved.followups[-1]["content"].startswith("Saved issue #30 as `june-2022.html`")
    latest = await fake_discord.command("latest")
    assert first_embed(latest)["title"] == "Machine Learning Monthly June 2022"


async def test_refusals_reach_the_moderator(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    wrong = await followed_up(
        await fake_discord.command(
            "import", fake_discord.attach("cover.png", b"\x89PNG"), user_id=MODERATOR_ID
        )
    )
    assert is_ephemeral(wrong)
    assert message(wrong)["content"].startswith(".png is not a file type an import takes")
    scheme = await followed_up(
        await fake_discord.command(
            "import", option("url", "ftp://example.com/issue.md"), user_id=MODERATOR_ID
        )
    )
    assert message(scheme)["content"] == (
        "Only http:// and https:// links can be imported, not “ftp”."
    )
    member = await fake_discord.command(
        "import", fake_discord.attach("issue-31.md", b"# 31"), user_id=STRANGER_ID
    )
    assert message(member)["content"].startswith("This command is for moderators")
