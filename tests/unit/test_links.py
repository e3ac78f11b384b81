"""Links back to an issue's web page: the ``issue_url`` template and its fields."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.archive.service import ArchiveService
from bot.config import load_settings
from bot.content.links import check_template, issue_url, slug
from tests.conftest import FakeClock, write_config


def test_slug() -> None:
    assert slug("Machine Learning Monthly 💻🤖 March 2021") == "machine-learning-monthly-march-2021"
    assert slug("Ça marche — déjà vu!") == "ca-marche-deja-vu"


def test_every_field_fills() -> None:
    template = "https://e.org/{year}/{month:02d}/{month_name}/{number}-{slug}/"
    assert issue_url(template, 15, 2021, 3, "March 2021: Tools") == (
        "https://e.org/2021/03/march/15-march-2021-tools/"
    )


def test_a_template_that_needs_a_date_the_issue_lacks_gives_no_link() -> None:
    assert issue_url("https://e.org/{year}/{number}", 4, None, None, "t") is None
    assert issue_url("https://e.org/{month_name}", 4, 2020, None, "t") is None
    assert issue_url("https://e.org/{number}", 4, None, None, "t") == "https://e.org/4"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("https://e.org/{day}", "is not a template whose fields are among {number}, {year},"),
        ("https://e.org/{number", "is not a template"),
        ("https://e.org/", "has none of {number}, {year}, {month}, {month_name}, {slug} in it"),
    ],
)
def test_templates_that_cannot_work_are_refused(template: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        check_template(template)
    assert message in str(caught.value)


async def test_the_template_uses_the_final_date_and_applies_without_a_reload(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    path = write_config(tmp_path, content_dir)
    data = yaml.safe_load(path.read_text())
    data["newsletter"]["issue_url"] = "https://e.org/{slug}-{month_name}-{year}/"
    path.write_text(yaml.safe_dump(data))
    (content_dir / "030.md").write_text(
        "---\nnumber: 30\n---\n# Issue thirty\n\n## A tool\n\nIt does things.\n"
    )
    service, _ = await ArchiveService.from_settings(load_settings(path), clock=clock)
    try:
        inferred = await service.issues.get(30)
        assert inferred is not None and inferred.date_inferred and inferred.date == "2022-06"
        assert inferred.url == "https://e.org/issue-thirty-june-2022/"
        latest = await service.issues.latest()
        assert latest is not None and latest.url == inferred.url
        assert [i.url for i in await service.issues.latest_of_each()] == [inferred.url]
    finally:
        await service.close()
    data["newsletter"]["issue_url"] = "https://e.org/n/{number}"
    path.write_text(yaml.safe_dump(data))
    service, report = await ArchiveService.from_settings(load_settings(path), clock=clock)
    try:
        assert report.unchanged  # no file was read again, and yet:
        issue = await service.issues.get(30)
        assert issue is not None and issue.url == "https://e.org/n/30"
    finally:
        await service.close()
