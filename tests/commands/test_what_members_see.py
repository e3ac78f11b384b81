"""Every card as a member sees it (laid out by ``tests.cards``), through the real commands:
titles short, text that doesn't repeat them, no file names, month and section, approximate
dates marked, links where the web address is known."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.client import ArchiveBot
from bot.render.titles import MAX_TITLE
from tests.cards import markdown, sent_text
from tests.commands.helpers import FakeInteraction, Sent, invoke, member, moderator, text_channel
from tests.conftest import FakeClock

# A newsletter that is not the bundled one, with a web address, headingless items and
# headings repeated as lead-ins.
HELD_OUT = """---
number: 30
date: 2022-06
url: https://example.org/digest/30
title: The Data Digest, June 2022
---
# The Data Digest, June 2022

## Reading list

- The team behind “Polars in Practice” released a free book on fast dataframes for people coming from pandas.
- Attention Is All You Need, annotated is a line-by-line walk through the transformer paper with runnable code.

## Tools

### Marimo

Marimo — a reactive Python notebook that stores as plain Python files. https://marimo.io
"""

SEPARATOR = r"\s*(?:[—–:|-]|\.|$)"


def _shown(sent: Sent, clock: FakeClock | None = None) -> str:
    return sent_text(sent.embed, sent.view, sent.content, clock.now if clock else None)


def _repeats(title: str, text: str) -> bool:
    """Whether ``text`` starts by saying ``title`` again ("Title — Title — …")."""
    stem = re.escape(title.rstrip("…"))
    return bool(re.match(stem + SEPARATOR, text.strip(), re.IGNORECASE))


def _bullets(sent: Sent) -> list[str]:
    """The resource titles of an issue card, one a line as the description has them."""
    assert sent.embed is not None and sent.embed.description is not None
    return [markdown(line)[2:] for line in sent.embed.description.splitlines() if line[:2] == "• "]


def _no_file_names(shown: str) -> None:
    assert not re.search(r"\w+\.(txt|md)\b", shown) and "source:" not in shown, shown


async def test_latest_as_a_member_sees_it(bot: ArchiveBot) -> None:
    interaction = FakeInteraction(bot)
    await invoke(bot, "latest", interaction)
    shown = _shown(interaction.last)
    _no_file_names(shown)
    assert "│ Issue #28 · about April 2022" in shown  # the date was inferred from the numbering
    assert shown.rstrip().endswith("│ 12 resources\n[ Save ]")
    bullets = _bullets(interaction.last)
    assert len(bullets) == 12 and all(len(b) <= MAX_TITLE for b in bullets)


@pytest.mark.parametrize("number", [2, 7, 15, 23, 28])
async def test_every_issue_has_short_titles_and_no_file_name(bot: ArchiveBot, number: int) -> None:
    interaction = FakeInteraction(bot)
    await invoke(bot, "issue", interaction, number=number)
    shown = _shown(interaction.last)
    _no_file_names(shown)
    bullets = _bullets(interaction.last)
    assert bullets and all(len(b) <= MAX_TITLE for b in bullets), bullets
    issue = await bot.service.issues.get(number)
    assert issue is not None and len(bullets) == len(issue.resources)


async def test_issue_two_titles_name_things_not_sentences(bot: ArchiveBot) -> None:
    interaction = FakeInteraction(bot)
    await invoke(bot, "issue", interaction, number=2)
    shown = _shown(interaction.last)
    assert "│ Issue #2 · about February 2020" in shown
    assert "│ • A Recipe for Training Neural Networks\n" in shown
    assert "The key point being AI businesses differ to normal software businesses because…" in (
        _bullets(interaction.last)
    )


async def test_search_results_say_month_and_section_and_dont_repeat_titles(
    bot: ArchiveBot,
) -> None:
    interaction = FakeInteraction(bot)
    await invoke(bot, "search", interaction, query="pytorch")
    embed = interaction.last.embed
    assert embed is not None
    for f in embed.fields:
        title = str(f.name).split(". ", 1)[1]
        text, context = str(f.value).rsplit("\n— ", 1)
        assert len(title) <= MAX_TITLE and not _repeats(title, text), (title, text)
        assert re.match(r"#\d+ · (about )?[A-Z][a-z]+ \d{4}( · .+)?", context), context
    shown = _shown(interaction.last)
    _no_file_names(shown)
    assert "New ZTM PyTorch course (coming soon)\n│ I’m working on a hands-on" in shown
    assert "│ — #28 · about April 2022 · My work" in shown


async def test_every_pick_says_when_and_where_and_has_a_short_title(
    bot: ArchiveBot, clock: FakeClock
) -> None:
    seen = set()
    for n in range(40):  # every resource of the earlier issues, as picks
        interaction = FakeInteraction(bot, user=member(100 + n))
        await invoke(bot, "random", interaction)
        embed = interaction.last.embed
        assert embed is not None and embed.title is not None
        title = embed.title.removeprefix("From the archives: ")
        if title == "From the archives":  # the title is the text's bold opening, once
            opening = re.match(r"\*\*(.+?)\*\*", embed.description or "")
            assert opening is not None, embed.description
            title = opening.group(1)
            assert not _repeats(title, (embed.description or "")[opening.end() :])
        else:
            assert len(title) <= MAX_TITLE
            assert not _repeats(title, embed.description or ""), (title, embed.description)
            assert not (embed.description or "").casefold().startswith(title.casefold())
        seen.add(title)
        source = str(embed.fields[0].value)
        assert re.fullmatch(r"Issue #(2|7|15|23) · (about )?[A-Z][a-z]+ 20\d\d( · .+)?", source)
        assert ("about" in source) == source.startswith(("Issue #2 ", "Issue #23 "))
        _no_file_names(_shown(interaction.last))
        clock.advance(minutes=1)
    assert len(seen) == 37  # every resource of issues 2 to 23
    # the issue's example: the whole sentence was the title; now the pick shows it once, as
    # the bold opening of its text
    assert "The key point being AI businesses differ to normal software businesses because" in seen


async def test_a_held_out_newsletter_links_to_its_issue(bot: ArchiveBot, content_dir: Path) -> None:
    (content_dir / "030.md").write_text(HELD_OUT, encoding="utf-8")
    await bot.service.loader.reload()
    interaction = FakeInteraction(bot)
    await invoke(bot, "issue", interaction, number=30)
    sent = interaction.last
    assert sent.embed is not None and sent.embed.url == "https://example.org/digest/30"
    view: Any = sent.view
    assert view is not None and view.timeout is None
    buttons = [c for row in view.to_components() for c in row["components"]]
    assert [(b["label"], b.get("url")) for b in buttons] == [
        ("Read the issue", "https://example.org/digest/30"),
        ("Save", None),
    ]
    shown = _shown(sent)
    _no_file_names(shown)
    assert shown.startswith("│ Machine Learning Monthly\n│ The Data Digest, June 2022 ↗\n")
    assert "│ • Polars in Practice\n│ • Attention Is All You Need, annotated\n" in shown
    assert shown.endswith("[ Read the issue ↗ ] [ Save ]")

    search = FakeInteraction(bot)
    await invoke(bot, "search", search, query="marimo")
    shown = _shown(search.last)
    assert "1. Marimo\n│ A reactive Python notebook" in shown
    assert "│ — #30 · June 2022 · Tools · https://marimo.io" in shown


async def test_a_pick_with_a_link_has_a_button(
    bot: ArchiveBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    issue = await bot.service.issues.get(23)
    assert issue is not None
    pick = next(r for r in issue.resources if r.links)

    async def chosen(scope: str, newsletter: str | None = None) -> Any:
        return pick

    monkeypatch.setattr(bot.service.picks, "pick", chosen)
    interaction = FakeInteraction(bot)
    await invoke(bot, "random", interaction)
    shown = _shown(interaction.last)
    assert shown.endswith("[ Open the link ↗ ] [ Save ]")
    assert "│ Issue #23 · about November 2021 · From the Internet" in shown


async def test_about_and_schedule_as_a_moderator_sees_them(
    bot: ArchiveBot, clock: FakeClock
) -> None:
    about = FakeInteraction(bot)
    await invoke(bot, "about", about)
    shown = _shown(about.last, clock)
    assert "│ #28 · about April 2022 · Machine Learning Monthly Newsletter" in shown
    _no_file_names(shown)
    await invoke(
        bot,
        "archive set",
        FakeInteraction(bot, user=moderator()),
        channel=text_channel(500),
        schedule="0 9 * * 1",
        timezone="Europe/Paris",
    )
    show = FakeInteraction(bot, user=moderator())
    await invoke(bot, "archive show", show)
    shown = _shown(show.last, clock)
    assert "Monday, 12 January 2026 08:00" in shown and "#channel-500" in shown
