"""``check`` and the bot read content through the same code: on every test newsletter, the
issues and problems of ``check``'s dry run are those a load into the archive serves and
reports."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.archive.loader import dry_run
from bot.archive.service import ArchiveService
from bot.config import Settings
from tests.conftest import ROOT, SEEDS

FOLDERS = sorted(
    [
        SEEDS,
        ROOT / "tests" / "data" / "twir",
        *(p for p in (ROOT / "tests" / "data" / "newsletters").iterdir() if p.is_dir()),
        *(p for p in (ROOT / "tests" / "data" / "devset").iterdir() if p.is_dir()),
    ]
)


@pytest.mark.parametrize("folder", FOLDERS, ids=[folder.name for folder in FOLDERS])
async def test_check_and_the_bot_report_the_same_issues_and_problems(
    folder: Path, settings: Settings, tmp_path: Path
) -> None:
    newsletter = settings.served_newsletter(folder=folder)
    checked = dry_run(newsletter)
    service = await ArchiveService.open(tmp_path / "archive.sqlite3", replace(newsletter))
    try:
        report = await service.loader.reload()
        served = [
            issue
            for number in await service.issues.numbers()
            if (issue := await service.issues.get(number)) is not None
        ]
    finally:
        await service.close()
    assert [(i.number, i.date, i.date_inferred, i.title) for i in checked.issues] == [
        (i.number, i.date, i.date_inferred, i.title) for i in served
    ]
    assert [[(r.title, r.text, r.links) for r in i.resources] for i in checked.issues] == [
        [(r.title, r.text, r.links) for r in i.resources] for i in served
    ]
    assert sorted(map(str, checked.problems)) == sorted(map(str, report.problems))
