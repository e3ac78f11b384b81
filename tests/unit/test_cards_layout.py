"""The test helper that lays a message out as Discord shows it (``tests.cards``)."""

from __future__ import annotations

import datetime as dt

import discord

from tests.cards import discord_text, markdown, sent_text

NOW = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)


def test_markdown_is_rendered_as_the_client_shows_it() -> None:
    assert markdown("**Bold** and [a link](https://e.org) in <#500>") == (
        "Bold and a link in #channel-500"
    )
    assert markdown("`0 9 * * 1` *stays*") == "0 9 * * 1 stays"
    assert markdown(f"<t:{int(NOW.timestamp())}:F>") == "Monday, 5 January 2026 08:00"
    earlier = int((NOW - dt.timedelta(hours=3)).timestamp())
    assert markdown(f"<t:{earlier}:R>", NOW) == "3 hours ago"


def test_an_embed_is_laid_out_with_inline_fields_side_by_side_and_buttons_last() -> None:
    embed = discord.Embed(title="Title", url="https://e.org", description="Text")
    embed.set_author(name="Newsletter")
    embed.add_field(name="A", value="1", inline=True)
    embed.add_field(name="B", value="2", inline=True)
    embed.add_field(name="Long", value="x", inline=False)
    embed.set_footer(text="foot")
    view = discord.ui.View()
    view.add_item(discord.ui.Button(label="Next", disabled=True))
    view.add_item(
        discord.ui.Button(style=discord.ButtonStyle.link, label="Open", url="https://e.org")
    )
    assert sent_text(embed, view, "Hello") == (
        "Hello\n"
        "│ Newsletter\n│ Title ↗\n│\n│ Text\n│\n"
        "│ A                     B\n│ 1                     2\n│\n"
        "│ Long\n│ x\n│\n│ foot\n"
        "( Next ) [ Open ↗ ]"
    )
    assert discord_text({"content": "only words"}) == "only words"
