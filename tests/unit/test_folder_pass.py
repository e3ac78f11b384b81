"""The folder pass: what a newsletter's issues, read together, settle (bot.content.folder)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.archive.loader import dry_run
from bot.cli import main
from bot.config import Settings
from bot.content.assemble import Rules
from bot.content.folder import settle
from bot.content.issue_meta import digit_guesses
from bot.content.models import Issue, NumberCandidate, Resource
from bot.content.parse import parse_text

ROOT = Path(__file__).resolve().parents[2]
TWIR = ROOT / "tests" / "data" / "twir"
RULES = Rules.compile()


def _md(text: str, name: str) -> Issue:
    return parse_text(text, name, RULES, "Data Digest", markdown=True)[0]


def _items(*titles: str) -> str:
    return "## Links\n\n" + "".join(
        f"- [{t}](https://e.org/{t.split()[0]}) — why.\n" for t in titles
    )


def _issue(number: int, source: str, *resources: Resource, **fields: object) -> Issue:
    claim = NumberCandidate(number, "text", "the text")
    return Issue(number, f"#{number}", source, resources=list(resources),
                 number_candidates=(claim,), **fields)  # type: ignore[arg-type]  # fmt: skip


def test_a_number_glued_to_a_word_in_the_file_name_numbers_the_folder() -> None:
    issues = [_md(_items("Alpha tool", "Beta tool"), f"Weekly{n}.md") for n in (33, 34, 35)]
    result = settle(issues)
    assert [i.number for i in result.issues] == [33, 34, 35] and not result.problems


def test_a_number_in_another_script_or_language_in_the_title() -> None:
    titles = ["《X》第 ٣ 期", "《X》第 4 期", "《X》 第 5 期"]
    issues = [_md(f"# {t}\n\n{_items('Alpha', 'Beta')}", f"post-{c}.md") for t, c in zip(titles, "abc", strict=True)]  # fmt: skip
    assert [i.number for i in settle(issues).issues] == [3, 4, 5]


def test_digits_that_do_not_vary_or_stand_alone_are_no_number() -> None:
    issues = [_md(f"# Top 10 of the week\n\n{_items('Alpha', 'Beta')}", f"{n}.md") for n in "abc"]
    result = settle(issues)
    assert not result.issues
    assert {p.source for p in result.problems} == {"a.md", "b.md", "c.md"}
    assert all("no issue number found" in p.message for p in result.problems)


def test_an_export_sequence_in_the_names_does_not_beat_the_stated_numbers() -> None:
    issues = [
        _md(f"# Issue #{n}\n\n{_items('Alpha', 'Beta')}", f"00{i}_x.md")
        for i, n in enumerate((15, 23, 2))
    ]
    result = settle(issues)
    assert [i.number for i in result.issues] == [2, 15, 23] and not result.problems


def test_a_number_in_the_text_naming_another_issue_loses_to_the_folder_and_warns() -> None:
    body = _items("Alpha tool", "Beta tool")
    issues = [_md(f"# Issue {n}\n\n{body}", f"Weekly{n}.md") for n in (11, 12, 13)]
    issues.append(_md(f"Back in Issue #12 we said so.\n\n{body}", "Weekly14.md"))
    result = settle(issues)
    assert [i.number for i in result.issues] == [11, 12, 13, 14]
    (warning,) = result.problems
    assert warning.source == "Weekly14.md" and not warning.fatal
    assert "14 from the file name differs from 12 in the text" in warning.message


def test_of_two_files_with_one_number_the_fuller_one_in_sequence_wins() -> None:
    full = [Resource(f"R{i}", "", (f"https://e.org/{i}",)) for i in range(8)]
    stray = _issue(5, "zz-stray.md", stated=(2020, 5))
    stray.number_candidates = (NumberCandidate(5, "metadata", "the metadata"),)
    issues = [
        _issue(4, "a.md", *full, stated=(2020, 4)),
        _issue(5, "b.md", *full, stated=(2020, 5)),
        _issue(6, "c.md", *full, stated=(2020, 6)),
        stray,
    ]
    result = settle(issues)
    assert [i.source for i in result.issues] == ["a.md", "b.md", "c.md"]
    (problem,) = result.problems
    assert problem.source == "zz-stray.md" and "b.md" in problem.message
    served = settle([_issue(5, "b.md", *full), _issue(5, "a.md", *full, *full)], served={"b.md"})
    assert [i.source for i in served.issues] == ["b.md"]


def test_chrome_is_dropped_and_kept_with_its_issue_never_in_a_small_folder() -> None:
    social = Resource("Follow us", "", ("https://social.example/us",))

    def issues(count: int) -> list[Issue]:
        return [
            _issue(n, f"{n}.md", Resource(f"Story {n}", "", (f"https://e.org/{n}",)), social)
            for n in range(1, count + 1)
        ]

    result = settle(issues(4))
    assert result.chrome == 4
    assert all([r.title for r in i.resources] == [f"Story {i.number}"] for i in result.issues)
    assert all(
        d.why == "chrome" and d.text == "Follow us" for i in result.issues for d in i.dropped
    )
    assert settle(issues(2)).chrome == 0


def test_what_recurs_in_a_run_of_issues_only_is_content() -> None:
    event = Resource("Meetup in Paris", "", ("https://e.org/paris",))
    issues = [_issue(n, f"{n}.md", Resource(f"S{n}", "", ())) for n in range(1, 9)]
    for issue in issues[2:6]:
        issue.resources.append(event)
    assert settle(issues).chrome == 0


def test_dates_come_from_this_folder_never_from_a_default_calendar() -> None:
    weekly = [_issue(n, f"{n}.md") for n in range(10, 20)]
    for issue in weekly[::3]:  # 10, 13, 16, 19 dated, a week apart
        day = 7 * (issue.number - 10) + 1
        issue.stated = (2018, 3 + (day - 1) // 31)
    result = settle(weekly)
    dates = {i.number: (i.date, i.date_inferred) for i in result.issues}
    assert dates[11] == ("2018-03", True) and dates[10] == ("2018-03", False)
    assert all(d is None or d.startswith("2018") for d, _ in dates.values())
    alone = settle([_issue(8, "8.md"), _issue(9, "9.md")])
    assert [i.date for i in alone.issues] == [None, None]


def test_an_irregular_folder_leaves_unclear_dates_absent() -> None:
    issues = [_issue(n, f"{n}.md") for n in (1, 2, 3, 4)]
    issues[0].stated, issues[2].stated, issues[3].stated = (2019, 1), (2019, 2), (2021, 7)
    result = settle(issues)
    assert result.issues[1].date is None  # between January and February: no telling


def test_a_silent_loss_is_reported() -> None:
    def many(n: int) -> list[Resource]:
        return [Resource(f"R{n}.{i}", "", (f"https://e.org/{n}/{i}",)) for i in range(40)]

    issues = [_issue(n, f"{n}.md", *many(n), links_seen=45) for n in range(1, 8)]
    issues[3].resources = issues[3].resources[:2]
    (problem,) = settle(issues).problems
    assert problem.source == "4.md" and "only 2 resources" in problem.message


def test_digit_guesses_leave_dates_out() -> None:
    assert [g.number for g in digit_guesses("2019-03-05-weekly-12.md", "May 2021 #7")] == [12, 7]


def test_real_folders_keep_their_numbers_and_dates(settings: Settings) -> None:
    twir = dry_run(settings.served_newsletter(folder=TWIR))
    assert [i.number for i in twir.issues] == [91, 92, 93, 94, 95, 96]
    assert twir.chrome == 0 and not twir.problems
    seeds = dry_run(settings.served_newsletter())
    assert [(i.number, i.date) for i in seeds.issues] == [
        (2, "2020-02"), (7, "2020-07"), (15, "2021-03"), (23, "2021-11"), (28, "2022-04"),
    ]  # fmt: skip


def test_another_folder_does_not_take_the_configured_calendar(
    settings: Settings, tmp_path: Path
) -> None:
    """The bundled newsletter's anchor (#1 = January 2020, monthly) must not date a folder
    it was not written for."""
    folder = tmp_path / "other"
    folder.mkdir()
    (folder / "issue-8.md").write_text("# Issue 8\n\n" + _items("Alpha", "Beta"))
    source = settings.served_newsletter(folder=folder)
    assert source.date_anchor is None and source.cadence is None
    (issue,) = dry_run(source).issues
    assert (issue.number, issue.date) == (8, None)
    assert settings.served_newsletter().date_anchor is not None


def test_inspect_shows_sources_and_drops_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "twir"
    shutil.copytree(TWIR, folder)
    assert main(["inspect", str(folder), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    first = data["issues"][0]
    assert set(first) == {"source", "number", "number_from", "date", "date_from", "title",
                          "resources", "dropped"}  # fmt: skip
    assert (first["number"], first["date_from"]) == (91, "stated")
    assert first["resources"] and set(first["resources"][0]) == {
        "title",
        "text",
        "links",
        "section",
    }
    assert {d["why"] for i in data["issues"] for d in i["dropped"]} <= {
        "chrome",
        "boilerplate",
        "end marker",
        "no link",
        "preamble",
    }
    one = next(folder.iterdir())
    assert main(["inspect", str(one)]) == 0
    assert "number from" in capsys.readouterr().out


@pytest.mark.parametrize(
    "command", [["latest"], ["issue", "3"], ["search", "x"], ["random"], ["check"]]
)
def test_every_console_command_on_an_empty_folder_answers_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    assert main([*command, "--content", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert len((out + err).strip().splitlines()) == 1 and str(tmp_path) in out + err
    assert main(["inspect", str(tmp_path)]) == 1
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


# -- dated, unnumbered newsletters ------------------------------------------------------------


def _monthly(name: str, month: str) -> Issue:
    return _md(f"---\ntitle: This Month in X - {month}\n---\n\n{_items('Alpha', 'Beta')}", name)


def test_a_dated_unnumbered_folder_is_numbered_by_date_order() -> None:
    issues = [
        _monthly("2024-06-01-this-month.md", "May 2024"),
        _monthly("2021-05-01-this-month.md", "April 2021"),
        _monthly("2023-01-11-this-month.md", "December 2022"),
    ]
    result = settle(issues)
    assert [(i.number, i.source, i.number_source) for i in result.issues] == [
        (1, "2021-05-01-this-month.md", "sequence"),
        (2, "2023-01-11-this-month.md", "sequence"),
        (3, "2024-06-01-this-month.md", "sequence"),
    ]
    assert not result.problems


def test_a_date_in_one_run_of_digits_is_no_number() -> None:
    issues = [
        _md(f'+++\ntitle = "Monthly"\ndate = "{d}"\n+++\n\n{_items("Alpha", "Beta")}', f"m-{n}.md")
        for n, d in (("240430", "2024-04-30"), ("250131", "2025-01-31"), ("260430", "2026-04-30"))
    ]
    assert not any(c.number > 1000 for i in issues for c in i.number_candidates)
    result = settle(issues)
    assert [(i.number, i.date) for i in result.issues] == [(1, "2024-04"), (2, "2025-01"), (3, "2026-04")]  # fmt: skip


def test_issues_served_by_date_order_keep_their_numbers_and_a_new_one_follows() -> None:
    served = _monthly("2021-05-01-this-month.md", "April 2021")
    served.number, served.number_source = 7, "sequence"
    served.number_candidates = (NumberCandidate(7, "sequence", "the archive"),)
    new = _monthly("2024-06-01-this-month.md", "May 2024")
    result = settle([new, served], served={served.source})
    assert [(i.number, i.source) for i in result.issues] == [
        (7, "2021-05-01-this-month.md"),
        (8, "2024-06-01-this-month.md"),
    ]


def test_an_unnumbered_file_among_numbered_issues_is_refused() -> None:
    issues = [_md(_items("Alpha", "Beta"), f"issue-{n}.md") for n in (1, 2)]
    stray = _monthly("2024-06-01-notes.md", "May 2024")
    result = settle([*issues, stray])
    assert [i.number for i in result.issues] == [1, 2]
    assert [(p.source, "no issue number found" in p.message) for p in result.problems] == [
        ("2024-06-01-notes.md", True)
    ]
