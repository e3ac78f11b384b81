"""/import Save into a content folder the bot cannot write (read-only, not its own, a full
disk): a clear answer to the moderator, one log line naming the folder and the fix."""

from __future__ import annotations

import errno
import logging
from pathlib import Path

import pytest

from bot.client import ArchiveBot
from tests.commands.helpers import FakeInteraction, moderator
from tests.commands.test_import_commands import attachment, preview, view_of
from tests.unit.test_imports import NEW_ISSUE


@pytest.mark.parametrize(
    ("error", "said", "logged"),
    [
        (
            PermissionError(errno.EACCES, "Permission denied"),
            "The bot could not save the issue: it may not write into its content folder.",
            "permission denied (Permission denied); let the user running the bot write there",
        ),
        (
            OSError(errno.ENOSPC, "No space left on device"),
            "The bot could not save the issue: its disk is full.",
            "the disk is full (No space left on device); free some space on that disk",
        ),
    ],
)
async def test_save_into_a_folder_that_cannot_be_written(
    bot: ArchiveBot,
    content_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    error: OSError,
    said: str,
    logged: str,
) -> None:
    def refuse(*_: object) -> str:
        raise error

    monkeypatch.setattr("bot.archive.imports.write_import", refuse)
    view = view_of(await preview(bot, attachment("issue-29.md", NEW_ISSUE.encode())))
    press = FakeInteraction(bot, user=moderator(1))
    with caplog.at_level(logging.ERROR, "bot.archive.imports"):
        await view.save.callback(press)
    answer = press.last
    assert answer.ephemeral and answer.content is not None
    assert answer.content == (
        f"{said} Nothing was saved. Whoever runs the bot can fix it (its log names the folder "
        "and what to change), then run /import again."
    )
    (line,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert line.startswith(f"cannot write an imported issue into {content_dir}: {logged}")
    assert await bot.service.issues.get(29) is None
