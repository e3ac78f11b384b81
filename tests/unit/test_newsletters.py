"""Several newsletters in one archive: config, loads, questions, picks, schedules, migrations."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import closing
from pathlib import Path
from unittest import mock

import pytest
import yaml

from bot.archive.records import ScheduleRecord
from bot.archive.schema import SCHEMA_VERSION
from bot.archive.service import ArchiveService
from bot.cli import main
from bot.config import ENV_PREFIX, load_settings
from bot.content.issue_meta import Cadence
from bot.errors import ConfigError, ContentError
from tests.conftest import (
    ROOT,
    SEEDS,
    TWIR,
    FakeClock,
    SeededArchives,
    write_config,
    write_two_newsletter_config,
)

RELEASE_0_1 = ROOT / "tests" / "data" / "release-0.1.0.sqlite3"
#: A database as the code before several newsletters (schema step 2, commit 19dd9b1) leaves
#: it: the seeds loaded; schedules of guilds 42 (channel 500, Mondays 09:00 Europe/Paris) and
#: 43 (disabled); four picks for scope 500; the slot 2026-10-26T08:00 posted for guild 42;
#: the command sync hash "1" * 64.
SCHEMA_2 = ROOT / "tests" / "data" / "schema-2.sqlite3"


@pytest.fixture
def twir(tmp_path: Path) -> Path:
    """A writable copy of the This Week in Rust slice."""
    folder = tmp_path / "twir"
    shutil.copytree(TWIR, folder)
    return folder


@pytest.fixture
async def two(
    tmp_path: Path, content_dir: Path, twir: Path, clock: FakeClock, seeded: SeededArchives
) -> AsyncIterator[ArchiveService]:
    """The seeds (``ml``) and This Week in Rust (``rust``), loaded into one archive."""
    settings = load_settings(write_two_newsletter_config(tmp_path, content_dir, twir))
    await seeded.copy(settings.database_path, settings.served, clock)
    service, _ = await ArchiveService.from_settings(settings, clock=clock)
    service.picks.rng = random.Random(5)
    yield service
    await service.close()


# -- config ------------------------------------------------------------------------------


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_a_newsletters_list_and_the_single_form(tmp_path: Path) -> None:
    settings = load_settings(write_two_newsletter_config(tmp_path, SEEDS, TWIR))
    assert [(f.id, f.name) for f in settings.entries] == [
        ("ml", "Machine Learning Monthly"),
        ("rust", "This Week in Rust"),
    ]
    assert [settings.folder_of(f) for f in settings.entries] == [SEEDS, TWIR]
    ml, rust = settings.served
    greeting = "Hey everyone, welcome to this month's edition."
    # each its own parser rules
    assert ml.rules.boilerplate.found_in(greeting) and not rust.rules.boilerplate.found_in(greeting)
    assert (rust.id, rust.cadence) == ("rust", Cadence(1, "week"))
    single = load_settings()
    assert [(f.id, f.name) for f in single.entries] == [("default", "Machine Learning Monthly")]
    assert single.entries[0].parser == single.content.parser


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "newsletters:\n  - {id: ml, name: M, folder: a}\n"
            "  - {id: rust, name: R, folder: b, colour: red}\n",
            "newsletters[rust].colour: String should match pattern",
        ),
        (
            "newsletters:\n  - {id: rust, name: R}\n",
            "newsletters[rust].folder: Field required",
        ),
        (
            "newsletters:\n  - {id: rust, name: R, folder: b, parser: {end_markers: ['(']}}\n",
            "newsletters[rust].parser.end_markers: '(' is not a valid regular expression",
        ),
        ("newsletters:\n  - {name: R, folder: b}\n", "newsletters[0].id: Field required"),
        ("newsletters:\n  - {id: Big Id, name: R, folder: b}\n", "newsletters[Big Id].id"),
        (
            "newsletters:\n  - {id: a, name: A, folder: a}\n  - {id: a, name: B, folder: b}\n",
            "newsletters[a].id: 'a' is used more than once",
        ),
        (
            "newsletters:\n  - {id: rust, name: R, folder: b, issue_url: 'https://r.org/{n}'}\n",
            "newsletters[rust].issue_url: 'https://r.org/{n}' is not a template",
        ),
        (
            "newsletters:\n  - {id: rust, name: R, folder: b, issue_url: 'https://r.org/'}\n",
            "newsletters[rust].issue_url: 'https://r.org/' has none of {number}, {year}, {month},"
            " {month_name}, {slug} in it",
        ),
        (
            "newsletter: {name: X}\nnewsletters:\n  - {id: a, name: A, folder: a}\n",
            "give newsletter: (with content:) or newsletters:, not both",
        ),
    ],
)
def test_config_errors_name_the_newsletter_and_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(_config(tmp_path, text))
    assert message in str(caught.value)


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    with mock.patch.dict(os.environ):
        for name in [n for n in os.environ if n.upper().startswith(ENV_PREFIX)]:
            del os.environ[name]
        yield


def test_environment_overrides_the_newsletters(environment: None, tmp_path: Path) -> None:
    path = write_two_newsletter_config(tmp_path, SEEDS, TWIR)
    os.environ["ARCHIVE_BOT__NEWSLETTERS"] = json.dumps(
        [{"id": "rust", "name": "TWiR", "folder": str(TWIR)}]
    )
    os.environ["ARCHIVE_BOT__DATABASE__PATH"] = str(tmp_path / "elsewhere.sqlite3")
    settings = load_settings(path)
    assert [(f.id, f.name) for f in settings.entries] == [("rust", "TWiR")]
    assert settings.database_path == tmp_path / "elsewhere.sqlite3"
    os.environ["ARCHIVE_BOT__NEWSLETTERS"] = '[{"id": "rust", "name": "TWiR"}]'
    with pytest.raises(ConfigError, match=r"newsletters\[rust\]\.folder: Field required"):
        load_settings(path)


# -- one archive, two newsletters ---------------------------------------------------------


async def test_each_newsletter_loads_with_a_summary_of_its_own(
    two: ArchiveService, content_dir: Path, twir: Path
) -> None:
    assert two.names == {"ml": "Machine Learning Monthly", "rust": "This Week in Rust"}
    assert await two.issues.counts("ml") == (5, 49)
    assert (await two.issues.counts("rust"))[0] == 6
    assert await two.issues.numbers("rust") == [91, 92, 93, 94, 95, 96]
    (twir / "broken.md").write_text("no number anywhere\n")
    (twir / "2015-09-14-this-week-in-rust.md").write_text("Title: lost\n\nnothing\n")
    (content_dir / "029.md").write_text(
        "---\nnumber: 29\ndate: 2022-05\n---\n# May\n\n## New\n\nX.\n"
    )
    ml, rust = (await two.loader.reload()).summaries
    assert (ml.newsletter, ml.added, ml.kept) == ("ml", (29,), ())
    assert (rust.newsletter, rust.added, rust.changed, rust.removed) == ("rust", (), (), ())
    assert rust.kept == ("2015-09-14-this-week-in-rust.md",)  # nothing lost
    assert {p.source for p in rust.problems} == {"broken.md", "2015-09-14-this-week-in-rust.md"}
    latest = await two.issues.latest("rust")
    assert latest is not None and latest.number == 96


async def test_a_missing_folder_changes_nothing_in_any_newsletter(
    two: ArchiveService, content_dir: Path, twir: Path
) -> None:
    (content_dir / "029.md").write_text("---\nnumber: 29\n---\n# May\n\n## New\n\nX.\n")
    shutil.rmtree(twir)
    with pytest.raises(ContentError, match=r"newsletter rust not found .*newsletters\[rust\]"):
        await two.loader.reload()
    assert await two.issues.numbers("ml") == [2, 7, 15, 23, 28]
    assert len(await two.issues.numbers("rust")) == 6


async def test_latest_issue_search_and_pick_per_newsletter(two: ArchiveService) -> None:
    assert [(i.newsletter, i.number) for i in await two.issues.latest_of_each()] == [
        ("ml", 28),
        ("rust", 96),
    ]
    assert [i.number for i in await two.issues.latest_of_each("rust")] == [96]
    issue = await two.issues.get(93)
    assert issue is not None and issue.newsletter == "rust"
    assert issue.to_json()["newsletter"] == "rust"
    assert {r.newsletter for r in issue.resources} == {"rust"}
    hits = await two.search.find("rust machine learning", limit=25)
    assert {h.resource.newsletter for h in hits} == {"ml", "rust"}
    assert {h.resource.newsletter for h in await two.search.find("rust", 25, "ml")} <= {"ml"}
    assert {h.resource.newsletter for h in await two.search.find("cargo", 25, "rust")} == {"rust"}
    assert all(n >= 91 for n, _ in two.search.autocomplete_issues("", newsletter="rust"))
    assert two.search.autocomplete_issues("96")[0][1].startswith("This Week in Rust · #96")
    assert two.find_newsletter("This week in Rust") == "rust"
    assert two.find_newsletter("nope") is None
    picks = [await two.picks.pick("chan", "rust") for _ in range(20)]
    assert all(p is not None and p.newsletter == "rust" and p.issue < 96 for p in picks)
    anywhere = [await two.picks.pick("other") for _ in range(200)]
    assert {p.newsletter for p in anywhere if p} == {"ml", "rust"}


async def test_issues_are_keyed_by_newsletter_and_number(tmp_path: Path, clock: FakeClock) -> None:
    """The same folder served twice: every number exists in both newsletters."""
    settings = load_settings(write_two_newsletter_config(tmp_path, SEEDS, SEEDS))
    service, report = await ArchiveService.from_settings(settings, clock=clock)
    try:
        assert [s.added for s in report.summaries] == [(2, 7, 15, 23, 28)] * 2
        ml, rust = await service.issues.get(28, "ml"), await service.issues.get(28, "rust")
        assert ml is not None and rust is not None and ml.source == rust.source
        assert (ml.newsletter, rust.newsletter) == ("ml", "rust")
        first = await service.issues.get(28)
        assert first is not None and first.newsletter == "ml"  # config order
        # Autocomplete offers #28 once, as the issue the number alone finds.
        assert [label for n, label in service.search.autocomplete_issues("28")] == [
            "Machine Learning Monthly · #28 · April 2022 · Machine Learning Monthly Newsletter"
        ]
        assert service.search.autocomplete_issues("28", newsletter="rust")[0][1].startswith(
            "This Week in Rust · #28"
        )
    finally:
        await service.close()


async def test_a_schedule_belongs_to_one_newsletter_or_to_all(two: ArchiveService) -> None:
    await two.schedules.add(1, 10, "0 9 * * 1", "UTC", "rust")
    await two.schedules.add(2, 20, "0 9 * * 1", "UTC")
    one, every = await two.schedules.get(1), await two.schedules.get(2)
    assert one is not None and one.newsletter == "rust"
    assert every is not None and every.newsletter is None
    second, _ = await two.schedules.add(1, 10, "0 9 * * 1", "UTC")  # a second one, beside it
    again = await two.schedules.get(1, second)
    assert again is not None and again.newsletter is None
    assert [s.newsletter for s in await two.schedules.all(1)] == ["rust", None]


# -- migrations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "sync_hash"),
    [(RELEASE_0_1, "0" * 64), (SCHEMA_2, "1" * 64)],
    ids=["release-0.1.0", "schema-2"],
)
async def test_an_older_database_serves_two_newsletters_with_user_state_intact(
    tmp_path: Path, fixture: Path, sync_hash: str, twir: Path, clock: FakeClock
) -> None:
    path = tmp_path / "old.sqlite3"
    shutil.copy(fixture, path)
    with sqlite3.connect(path) as db:
        picks_before = sorted(
            r[0] for r in db.execute("SELECT resource_key FROM pick_history WHERE scope = '500'")
        )
        schedules_before = db.execute("SELECT guild_id, channel_id, cron FROM schedules").fetchall()
        ledger_before = sorted(db.execute("SELECT guild_id, slot, channel_id FROM posted_slots"))
    settings = load_settings(write_two_newsletter_config(tmp_path, SEEDS, twir))
    service, report = await ArchiveService.from_settings(settings, database=path, clock=clock)
    try:
        assert await service.meta.get("schema_version") == str(SCHEMA_VERSION)
        assert await service.meta.get("command_sync:global") == sync_hash
        assert [s.newsletter for s in report.summaries] == ["ml", "rust"]
        assert report.summaries[0].added == (2, 7, 15, 23, 28)
        for guild, channel, cron in schedules_before:
            kept = await service.schedules.get(guild)
            assert kept is not None and (kept.channel_id, kept.cron) == (channel, cron)
            assert kept.newsletter is None  # posts from every newsletter, as before
        assert await service.schedules.posted_slots(42) == ["2026-10-26T08:00:00+00:00"]
        with closing(sqlite3.connect(path)) as raw:  # step 5: every ledger row, on its schedule
            ledger = sorted(raw.execute("SELECT guild_id, slot, channel_id FROM posted_slots"))
            orphans = raw.execute(
                "SELECT count(*) FROM posted_slots p"
                " WHERE NOT EXISTS (SELECT 1 FROM schedules s WHERE s.id = p.schedule_id)"
            ).fetchone()
        assert ledger == ledger_before and orphans == (0,)
        # The schedules still post, and the ledger still refuses a slot posted before.
        posted: list[tuple[int, dt.datetime]] = []

        async def post(schedule: ScheduleRecord, slot: dt.datetime, _: int) -> str | None:
            posted.append((schedule.guild_id, slot))
            return "pick"

        clock.now = dt.datetime(2026, 11, 9, 8, 0, 30, tzinfo=dt.UTC)
        assert await service.schedules.run_due(post) == 1  # 43's channel was lost: disabled
        assert posted == [(42, dt.datetime(2026, 11, 9, 8, 0, tzinfo=dt.UTC))]
        clock.now = dt.datetime(2026, 10, 26, 8, 0, 30, tzinfo=dt.UTC)
        async with service.db.transaction() as writer:
            await writer.execute(
                "UPDATE schedules SET next_run_at = '2026-10-26T08:00:00+00:00' WHERE guild_id = 42"
            )
        assert await service.schedules.run_due(post) == 0 and len(posted) == 1
        # Pick history written before ids belongs to the first newsletter, keys unchanged.
        assert sorted(await service.picks.picked("500")) == [f"ml/{k}" for k in picks_before]
        round_ = [await service.picks.pick("500", "ml") for _ in range(37 - len(picks_before))]
        assert not {f"ml/{k}" for k in picks_before} & {p.key for p in round_ if p}
    finally:
        await service.close()


# -- console -------------------------------------------------------------------------------


def test_console_newsletter_option_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(write_two_newsletter_config(tmp_path, SEEDS, TWIR))
    assert main(["latest", "--config", config, "--json"]) == 0
    both = json.loads(capsys.readouterr().out)
    assert [(i["newsletter"], i["number"]) for i in both] == [("ml", 28), ("rust", 96)]
    assert main(["latest", "--config", config]) == 0
    text = capsys.readouterr().out
    assert (
        "Machine Learning Monthly\n  Issue #28" in text and "This Week in Rust\n  Issue #96" in text
    )
    assert main(["issue", "93", "--newsletter", "rust", "--config", config, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["newsletter"] == "rust"
    assert main(["search", "cargo", "--newsletter", "rust", "--config", config, "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert results and {r["newsletter"] for r in results} == {"rust"}
    assert main(["search", "cargo", "--config", config]) == 0
    assert "— This Week in Rust · #" in capsys.readouterr().out
    assert main(["random", "--newsletter", "ml", "--config", config, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["newsletter"] == "ml"
    assert main(["latest", "--newsletter", "nope", "--config", config]) == 2
    assert "There is no newsletter “nope” here" in capsys.readouterr().err
    assert main(["check", "--newsletter", "rust", "--config", config]) == 0
    assert "6 issues, 300 resources, 0 errors" in capsys.readouterr().out
    assert main(["--newsletter", "rust", "latest", "--config", config, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["number"] == 96
    assert main(["--newsletter", "rust", "run", "--config", config]) == 2
    assert "the bot (run, sync) and status always serve" in capsys.readouterr().err


def test_console_with_one_newsletter_is_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(write_config(tmp_path, SEEDS))
    assert main(["latest", "--config", config, "--json"]) == 0
    latest = json.loads(capsys.readouterr().out)
    assert (latest["newsletter"], latest["number"]) == ("default", 28)
    assert main(["latest", "--newsletter", "default", "--config", config]) == 0
    assert capsys.readouterr().out.startswith("Machine Learning Monthly Newsletter\n")


async def test_a_newsletter_no_longer_configured_leaves_the_archive(
    tmp_path: Path, twir: Path, clock: FakeClock
) -> None:
    database = tmp_path / "archive.sqlite3"
    settings = load_settings(write_two_newsletter_config(tmp_path, SEEDS, twir))
    service, _ = await ArchiveService.from_settings(settings, database=database, clock=clock)
    await service.close()
    renamed = load_settings(write_config(tmp_path, SEEDS))  # the single form: id "default"
    service, report = await ArchiveService.from_settings(renamed, database=database, clock=clock)
    try:
        assert [s.newsletter for s in report.summaries] == ["default"]
        assert await service.issues.counts() == (5, 49)  # ml and rust are gone, not served twice
        assert {h.resource.newsletter for h in await service.search.find("learning", 25)} == {
            "default"
        }
    finally:
        await service.close()


async def test_an_issue_url_template_links_issues_whose_files_state_none(
    tmp_path: Path, twir: Path, clock: FakeClock
) -> None:
    path = write_two_newsletter_config(tmp_path, SEEDS, twir)
    data = yaml.safe_load(path.read_text())
    data["newsletters"][1]["issue_url"] = "https://twir.example/issues/{number}"
    path.write_text(yaml.safe_dump(data))
    (twir / "2015-09-21-this-week-in-rust.md").write_text(
        "Title: This Week in Rust 97\nNumber: 97\nurl: https://stated.example/97\n\n"
        "## News\n\n* [A post](https://a.example/post).\n"
    )
    service, _ = await ArchiveService.from_settings(load_settings(path), clock=clock)
    try:
        linked, stated = await service.issues.get(93, "rust"), await service.issues.get(97, "rust")
        assert linked is not None and linked.url == "https://twir.example/issues/93"
        assert stated is not None and stated.url == "https://stated.example/97"
        seeds = await service.issues.get(28, "ml")
        assert seeds is not None and seeds.url is None  # no template: as before
    finally:
        await service.close()
