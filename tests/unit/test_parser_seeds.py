"""The parser on each bundled seed: expectations written here, so no ../shared is needed."""

from __future__ import annotations

import pytest

from bot.archive.loader import dry_run
from bot.config import Newsletter
from bot.content.models import Issue

# (file prefix, number, year, month, phrases that must each title exactly one resource)
EXPECTED = [
    ("000_", 15, 2021, 3, ["TensorFlow for Deep Learning", "Why machine learning is hard", "WIDeText",
                           "ResNets are back", "Super-powered speech"]),
    ("001_", 23, 2021, 11, ["Apple M1 Pro", "TrivialAugment", "Contrastive Loss Explained",
                            "Turing Bletchley", "Machine Learning as Code", "TensorFlow 2.7 is here"]),
    ("002_", 2, 2020, 2, []),
    ("003_", 28, 2022, 4, ["New ZTM PyTorch course", "Nutrify web app", "All Roads Lead to Rome",
                           "Pix2Seq", "The Bitter Lesson", "Solving ImageNet"]),
    ("004_", 7, 2020, 7, ["Machine Learning Roadmap", "Ken Jee", "All about GPT3",
                          "Screw labels", "The future won't be supervised"]),
]  # fmt: skip
NOT_TITLES = [
    "paper of the month", "hero image", "all-roads-rome", "pix2seq", "dalle2-creation",
    "More from Zero To Mastery", "Python Monthly", "Don't be a Junior Developer",
    "Daniel Bourke", "undefined preview", "Machine Learning Framework usage",
    "Popular ongoing learning resources for data science and machine learning",
    "Cumulative Accuracy Improvements for ResNet50", "Turing Bletchley method",
    "from sklearnex import patch_sklearn", "ZTM Career Paths", "Use Code",
]  # fmt: skip


@pytest.fixture(scope="module")
def issues(seeds_newsletter: Newsletter) -> dict[str, Issue]:
    loaded = dry_run(seeds_newsletter)
    assert not loaded.errors
    return {issue.source[:4]: issue for issue in loaded.issues}


@pytest.mark.parametrize(("prefix", "number", "year", "month", "phrases"), EXPECTED)
def test_seed_number_date_and_resources(
    issues: dict[str, Issue], prefix: str, number: int, year: int, month: int, phrases: list[str]
) -> None:
    issue = issues[prefix]
    assert (issue.number, issue.year, issue.month) == (number, year, month)
    for phrase in phrases:
        matching = [r.title for r in issue.resources if phrase.casefold() in r.title.casefold()]
        assert len(matching) == 1, (phrase, [r.title for r in issue.resources])


def test_no_boilerplate_or_caption_becomes_a_resource(issues: dict[str, Issue]) -> None:
    titles = [r.title.casefold() for issue in issues.values() for r in issue.resources]
    for phrase in NOT_TITLES:
        assert phrase.casefold() not in titles
        assert not any(t.startswith(phrase.casefold()) and len(t) < len(phrase) + 5 for t in titles)


def test_mojibake_is_repaired_before_it_is_stored(issues: dict[str, Issue]) -> None:
    issue = issues["003_"]
    text = "\n".join([issue.title] + [r.title + r.text for r in issue.resources])
    assert "β€" not in text and "πŸ" not in text
    assert any(
        r.title == "Research — Screw labels, automate & self-supervise"
        for r in issues["004_"].resources
    )
    pytorch = next(r for r in issue.resources if r.title.startswith("New ZTM PyTorch course"))
    assert "—" in pytorch.text


def test_stated_dates_are_read_and_missing_years_inferred(issues: dict[str, Issue]) -> None:
    assert not issues["000_"].date_inferred  # "March 2021" is in its title line
    assert issues["001_"].date_inferred  # "What you missed in November": year from numbering
    assert issues["002_"].date_inferred  # no date at all


def test_sections_and_lists(issues: dict[str, Issue]) -> None:
    latest = issues["003_"]
    assert {r.section for r in latest.resources} == {
        "My work",
        "Machine Learning Updates From the Internet",
    }
    python = next(
        r for r in latest.resources if r.title.startswith("Resources to improve your Python")
    )
    assert "Calmcode.io" in python.text  # a numbered item's own list stays inside it
    trivial = next(r for r in issues["001_"].resources if r.title.startswith("TrivialAugment"))
    assert trivial.links == (
        "https://arxiv.org/abs/2103.10158",
        "https://github.com/automl/trivialaugment",
    )


def test_headingless_issue_is_split_into_resources(issues: dict[str, Issue]) -> None:
    resources = issues["002_"].resources
    assert 6 <= len(resources) <= 12
    for phrase in (
        "Peter Norvig",
        "Amenity Detection",
        "A Recipe for Training Neural Networks",
        "radioactive",
    ):
        assert sum(phrase in r.text for r in resources) == 1
