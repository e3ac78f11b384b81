"""Structure decided per section: which headings divide an issue, which are its stories.

Small synthetic issues, each one shape many archives share.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.archive.loader import dry_run
from bot.config import Newsletter
from bot.content.assemble import Rules
from bot.content.models import Issue
from bot.content.parse import ParseError, parse_file, parse_text

RULES = Rules.compile()


def _md(text: str) -> Issue:
    issue, _ = parse_text(text, "issue-7.md", RULES, "Data Digest", markdown=True)
    return issue


def _pairs(issue: Issue) -> list[tuple[str | None, str]]:
    return [(r.section, r.title) for r in issue.resources]


def test_a_stray_shallower_heading_late_in_the_issue_demotes_nothing_before_it() -> None:
    text = """Issue 7 of the digest, hello.

## Articles

### Essays

- [Alpha](https://a.example)
- [Beta](https://b.example)

### Tools

- [Gamma](https://c.example)

## Events

### Europe

- [Delta meetup](https://d.example)

# Oceania

- [Epsilon meetup](https://e.example)

## Jobs

- [Zeta is hiring](https://f.example)
"""
    assert _pairs(_md(text)) == [
        ("Articles", "Alpha"),
        ("Articles", "Beta"),
        ("Articles", "Gamma"),
        ("Events", "Delta meetup"),
        ("Oceania", "Epsilon meetup"),
        ("Jobs", "Zeta is hiring"),
    ]


def test_one_story_with_a_sub_heading_does_not_relevel_the_others() -> None:
    text = """Issue 7, the week's stories.

## [Alpha 2.0 released](https://a.example)

Alpha's new version is out with a faster engine.

### Changes

- fixed a crash on start ([#12](https://a.example/12))
- faster builds ([#13](https://a.example/13))

## [Beta reaches one million users](https://b.example)

A short note on Beta's growth.

## [Gamma, a new editor](https://c.example)

Gamma edits text in the terminal.
"""
    issue = _md(text)
    assert [r.title for r in issue.resources] == [
        "Alpha 2.0 released",
        "Beta reaches one million users",
        "Gamma, a new editor",
    ]
    alpha = issue.resources[0]
    assert "fixed a crash on start" in alpha.text  # its details are part of it
    assert "https://a.example/12" in alpha.links


def test_intro_prose_under_a_heading_does_not_swallow_its_list() -> None:
    text = """Issue 7.

## Articles

A few things we read this week, in no particular order.

- (Long) [Alpha on parsers](https://a.example)
- Beta explains [lexers](https://b.example) well
- Gamma on [grammars](https://c.example)

## Tools

- [Delta](https://d.example)
- [Epsilon](https://e.example)
"""
    issue = _md(text)
    assert [r.section for r in issue.resources] == ["Articles"] * 3 + ["Tools"] * 2
    assert issue.resources[1].links == ("https://b.example",)
    story = _md(
        text.replace("[lexers](https://b.example) well", "lexers well ([#2](https://b.example))")
    )
    assert [r.title for r in story.resources] == ["Articles", "Delta", "Epsilon"]  # details


def test_a_story_among_sections_is_still_a_section_heading() -> None:
    """A linked heading among unlinked section headings opens a section like them."""
    text = """Issue 7.

## News

### Official

- [Alpha](https://a.example)

## [Conference talks](https://talks.example)

All the talks are online.

### Blogs

- [Beta](https://b.example)
- [Gamma](https://c.example)

## Crate of the week

This week's crate is [delta](https://d.example), a tiny parser.
"""
    assert _pairs(_md(text)) == [
        ("News", "Alpha"),
        ("Conference talks", "Beta"),
        ("Conference talks", "Gamma"),
        ("Crate of the week", "delta"),
    ]


# -- template syntax ---------------------------------------------------------------------


def test_liquid_tags_before_reference_definitions_leave_the_links_resolved() -> None:
    text = """Issue 7.

## Links

- [Alpha][1] is a parser.
- [Beta][2] is a lexer.
{% include ads.html %}
[1]: https://a.example
[2]: https://b.example
"""
    issue = _md(text)
    assert [(r.title, r.links) for r in issue.resources] == [
        ("Alpha", ("https://a.example",)),
        ("Beta", ("https://b.example",)),
    ]


def test_a_stray_template_line_does_not_make_its_heading_one_resource() -> None:
    text = """Issue 7.

## Links
{% assign picks = site.data.picks %}
- Read [Alpha](https://a.example) today
- Read [Beta]({{ site.url }}/beta) tomorrow
- Read [Gamma]({{ site.baseurl }}{% post_url 2020-01-05-gamma %}) later
"""
    issue = _md(text)
    assert [r.links for r in issue.resources] == [
        ("https://a.example",), ("/beta",), ("2020-01-05-gamma",)
    ]  # fmt: skip
    assert "{" not in str(issue.resources)


def test_hugo_shortcodes_go_and_code_keeps_its_braces() -> None:
    text = """Issue 7.

## Links

{{< figure src="/cover.png" caption="Cover" >}}

- [Alpha](https://a.example), with `{{ name }}` in its templates
- [Beta](https://b.example) {{% badge %}}new{{% /badge %}}

{% comment %}
- [Hidden](https://hidden.example)
{% endcomment %}

{% highlight rust %}
let s = format!("{{}}", x);
{% endhighlight %}
"""
    issue = _md(text)
    assert [r.title for r in issue.resources] == ["Alpha", "Beta"]
    assert "`{{ name }}`" not in issue.resources[0].text  # inline code: kept, as text
    assert "{{ name }}" in issue.resources[0].text
    assert issue.resources[1].text.startswith("• Beta new\n")
    assert 'format!("{{}}", x);' in issue.resources[1].text  # a code block: untouched
    assert "hidden" not in str(issue.resources).lower()


# -- reStructuredText --------------------------------------------------------------------


RST = """\
=====================================
Data Digest, issue number 7
=====================================

:date: 2016-02-04
:tags: weekly

Welcome to the digest. `Subscribe`_ today.

.. _Subscribe: https://digest.example/subscribe

Announcements
=============

New parser
----------

Ada released `a new parser`_ this week.

.. _a new parser: https://a.example

Links
=====

* `Beta`_ - a lexer
* `Gamma <https://c.example>`_ - a grammar

.. _Beta: https://b.example

.. include:: /etc/hostname

.. raw:: html

   <p>raw html</p>
"""


def test_restructuredtext_reads_through_docutils(tmp_path: Path) -> None:
    path = tmp_path / "issue-7.rst"
    path.write_text(RST, encoding="utf-8")
    issue, problems = parse_file(path, RULES, "Data Digest")
    assert (issue.number, issue.date, issue.title) == (7, "2016-02", "Data Digest, issue number 7")
    assert [(r.section, r.title, r.links) for r in issue.resources] == [
        ("Announcements", "New parser", ("https://a.example",)),
        ("Links", "Beta", ("https://b.example",)),
        ("Links", "Gamma", ("https://c.example",)),
    ]
    text = str(issue.resources)
    assert "tags" not in text and "raw html" not in text and "hostname" not in text
    assert problems == []


def test_restructuredtext_with_a_bad_date_names_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "issue-7.rst"
    path.write_text(RST.replace("2016-02-04", "someday"), encoding="utf-8")
    with pytest.raises(ParseError, match="date 'someday'"):
        parse_file(path, RULES, "Data Digest")


def test_a_folder_of_restructuredtext_loads(tmp_path: Path) -> None:
    (tmp_path / "issue-7.rst").write_text(RST, encoding="utf-8")
    (tmp_path / "issue-8.rest").write_text(RST.replace("number 7", "number 8"), encoding="utf-8")
    source = Newsletter(name="Data Digest", folder=tmp_path, rules=RULES)
    result = dry_run(source)
    assert [(i.number, len(i.resources)) for i in result.issues] == [(7, 3), (8, 3)]
    assert result.problems == []


# -- saved pages: the issue's own heading ------------------------------------------------


def _page(tmp_path: Path, head: str, main: str) -> Issue:
    path = tmp_path / "issue-7.html"
    path.write_text(f"<html><head>{head}</head><body><main>{main}</main></body></html>")
    return parse_file(path, RULES, "Data Digest")[0]


ITEMS = '<ul><li><a href="https://a.example">Alpha</a></li><li><a href="https://b.example">Beta</a></li></ul>'


def test_a_saved_page_is_titled_by_its_own_heading_not_the_site(tmp_path: Path) -> None:
    head = "<title>Issue 7: Parsers everywhere | Data Digest</title>"
    two_h1 = _page(
        tmp_path, head, f"<h1>Data Digest</h1><h1>Issue 7: Parsers everywhere</h1>{ITEMS}"
    )
    assert two_h1.title == "Issue 7: Parsers everywhere"
    assert [r.title for r in two_h1.resources] == ["Alpha", "Beta"]  # the title is no section
    h2 = _page(tmp_path, head, f"<h2>Issue 7: Parsers everywhere</h2><h2>Links</h2>{ITEMS}")
    assert (h2.title, [(r.section, r.title) for r in h2.resources]) == (
        "Issue 7: Parsers everywhere", [("Links", "Alpha"), ("Links", "Beta")]
    )  # fmt: skip


def test_a_saved_page_without_such_a_heading_takes_its_og_title(tmp_path: Path) -> None:
    head = (
        '<title>Data Digest</title><meta property="og:title" content="Issue 7: Parsers">'
        '<meta property="og:site_name" content="Data Digest">'
    )
    issue = _page(tmp_path, head, f"<h2>Links</h2>{ITEMS}")
    assert (issue.title, issue.number) == ("Issue 7: Parsers", 7)
    plain = _page(tmp_path, "<title>Data Digest #7</title>", f"<h2>Links</h2>{ITEMS}")
    assert plain.title == "Data Digest #7"


def test_an_item_led_by_a_reference_is_titled_by_its_sentence() -> None:
    text = """Issue 7.

## Triage

- [#2534](https://t.example/2534) - The crash on start is fixed by the new release.
- [Ada Lovelace (@ada)](https://people.example/ada) released [Alpha](https://a.example), a parser.
- [@bob](https://people.example/bob)
- [Beta](https://b.example) - a lexer
"""
    assert [r.title for r in _md(text).resources] == [
        "#2534 - The crash on start is fixed by the new release.",
        "Ada Lovelace (@ada) released Alpha, a parser.",
        "@bob",  # nothing more to say: the reference is the title
        "Beta",
    ]


def test_one_linked_item_under_a_heading_is_what_the_heading_presents() -> None:
    text = """Issue 7.

## Project

### Bug of the week

- [Bug 19730 - Images are broken](https://bugs.example/19730)

The reporter attached a sample stack that helped us fix it quickly.

### Triage log

- [2020-06-02](https://triage.example/2020-06-02)

A quiet week: two regressions, both fixed.
"""
    issue = _md(text)
    assert [(r.section, r.title) for r in issue.resources] == [
        ("Project", "Bug 19730 - Images are broken"),
        ("Project", "Triage log"),  # a date names no thing: the heading does
    ]
    assert "sample stack" in issue.resources[0].text


def test_a_link_without_an_address_or_to_the_same_page_is_text() -> None:
    text = """Issue 7.

## Links

- [Alpha](https://a.example) and [the notes]() and [below](#links)
- [Discuss]() [here](#top)
"""
    assert [(r.title, r.links) for r in _md(text).resources] == [
        ("Alpha", ("https://a.example",)),
        ("Discuss here", ()),
    ]


def test_restructuredtext_reads_no_file_and_no_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import urllib.request

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("docutils opened an address")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me")
    text = f"""Issue 7
=======

Links
-----

* `Alpha <https://a.example>`_

.. csv-table:: remote
   :url: http://127.0.0.1:9/table.csv

.. csv-table:: local
   :file: {secret}

.. include:: {secret}
"""
    path = tmp_path / "issue-7.rst"
    path.write_text(text, encoding="utf-8")
    issue, _ = parse_file(path, RULES, "Data Digest")
    assert [r.title for r in issue.resources] == ["Alpha"]
    assert "do not read me" not in str(issue.resources)


def test_nested_containers_on_a_page_are_read_once(tmp_path: Path) -> None:
    main = (
        "<h1>Issue 7</h1><section><h2>Links</h2><div class='story'>"
        "<p><a href='https://a.example'>Alpha</a> is a parser.</p></div>"
        "<div class='story'><p><a href='https://b.example'>Beta</a> is a lexer.</p>"
        "<table><tr><td><a href='https://c.example'>Gamma</a> in a cell</td></tr></table>"
        "</div></section>"
    )
    issue = _page(tmp_path, "<title>Issue 7</title>", main)
    assert [(r.section, r.title) for r in issue.resources] == [
        ("Links", "Alpha"),
        ("Links", "Beta"),
        ("Links", "Gamma"),
    ]


def test_links_inside_emphasis_and_cells_are_links() -> None:
    text = """Issue 7.

## Links

- **[Alpha](https://a.example)**: a parser
- *[Beta](https://b.example)* is a lexer, by [@ada](https://people.example/ada)

## Crate of the week

This week's crate is **[gamma](https://c.example)**, a grammar.

## Jobs

*No jobs this week: tell [@digest](https://social.example/digest) about yours.*
"""
    assert [(r.section, r.title, r.links[0]) for r in _md(text).resources] == [
        ("Links", "Alpha", "https://a.example"),
        ("Links", "Beta", "https://b.example"),
        ("Crate of the week", "gamma", "https://c.example"),
        (None, "Jobs", "https://social.example/digest"),  # a handle names no thing
    ]


BYLINED = """Issue 7 of the digest.

## [Alpha](https://alpha.example)

#### Author: [Ada](https://github.com/ada)

Alpha binds a library, see [the docs](https://alpha.example/docs).

### Features

Some of what it does.

## Beta

#### Author: [Bo](https://github.com/bo)

Beta is a [renderer](https://beta.example).

## Gamma

#### Authors: Cy and [Di](https://github.com/di)

Gamma, [a game](https://gamma.example).
"""


def test_a_heading_with_a_byline_subheading_is_one_story() -> None:
    issue = _md(BYLINED)
    assert _pairs(issue) == [(None, "Alpha"), (None, "Beta"), (None, "Gamma")]
    assert "https://alpha.example/docs" in issue.resources[0].links


def test_one_section_opening_with_its_first_subsection_stays_a_section() -> None:
    text = """Issue 7 of the digest.

## Articles

### Essays

Read these.

- [Alpha](https://a.example)
- [Beta](https://b.example)

## Tools

### Editors

- [Gamma](https://c.example) is new.
- [Delta](https://d.example) too.
"""
    assert _pairs(_md(text)) == [
        ("Articles", "Alpha"),
        ("Articles", "Beta"),
        ("Tools", "Gamma"),
        ("Tools", "Delta"),
    ]


def test_a_section_of_linked_notes_makes_a_resource_of_each() -> None:
    text = """Issue 7 of the digest.

## News

### Tools

- [Alpha](https://a.example)

## Mailing list

Ada had [questions about ARM clients](https://list.example/1).

Bo introduced [membranes](https://list.example/2). Membranes revoke a capability.

The digest is published once a week by [the team](https://team.example) - write to us.
"""
    assert _pairs(_md(text)) == [
        ("News", "Alpha"),
        ("Mailing list", "Ada had questions about ARM clients."),
        ("Mailing list", "Bo introduced membranes."),
    ]


def test_a_section_introduction_ending_on_links_before_its_subsections_is_no_note() -> None:
    text = """Issue 7 of the digest.

## What's cooking

99 pull requests were [merged in the last week](https://a.example/merged).

Now you can follow breaking changes [as they happen](https://a.example/feed)!

### Breaking changes

- [Gamma removed](https://c.example)
- [Delta renamed](https://d.example)
"""
    assert [title for _, title in _pairs(_md(text))] == ["Gamma removed", "Delta renamed"]


SITE_PAGE = """<!doctype html><html><head><title>Digest</title></head><body>
<div class="top"><h1>Digest</h1><h2>Delivered to your inbox</h2>
<form action="https://list.example/subscribe"><p>Easy to unsubscribe.</p></form>
<p>Or follow on <a href="https://social.example/digest">Social</a>.</p></div>
<div class="post"><h1>#05 - Tonight We Ride</h1>
<h2>News</h2><ul>
<li><a href="https://a.example">Alpha released</a></li>
<li><a href="https://b.example">Beta renamed</a></li></ul>
<h2>Meetups</h2><ul>
<li><strong>Apr 4, 2017</strong>, <a href="https://m.example">April Meetup</a>, Dublin</li>
<li><strong>May 2, 2017</strong>, <a href="https://n.example">May Meetup</a>, Paris</li></ul>
</div></body></html>"""


def test_a_pages_heading_stating_the_number_is_no_section_and_the_site_header_above_no_content(
    tmp_path: Path,
) -> None:
    page = tmp_path / "05-tonight.html"
    page.write_text(SITE_PAGE)
    issue, _ = parse_file(page, RULES, "Data Digest")
    assert (issue.number, issue.title) == (5, "Digest")
    assert _pairs(issue) == [
        ("News", "Alpha released"),
        ("News", "Beta renamed"),
        ("Meetups", "April Meetup"),
        ("Meetups", "May Meetup"),
    ]
    assert "Delivered to your inbox" in [d.text for d in issue.dropped]


def test_a_heading_over_unlinked_change_lines_is_one_resource() -> None:
    """A news section listing changes, no link anywhere under it: the heading and its lines
    are one story. A list of names under a heading, or items that each describe a thing in
    several sentences (an email whose links were stripped), keep one resource per item."""
    text = """Issue 7 of the digest, hello.

## Networking Improvements

- Ada Lovelace fixed the DHCP server identifier
- Bo Tanaka fixed the time calculation of the ping tool

## New Contributors

- Ada Lovelace
- Bo Tanaka

## Videos

- The roadmap video is here! It walks through every concept.
- An interview with Cy Young. Cy talks about hiring juniors.

## Tools

- [Ripgrep](https://rg.example) searches fast
"""
    assert _pairs(_md(text)) == [
        (None, "Networking Improvements"),
        ("New Contributors", "Ada Lovelace"),
        ("New Contributors", "Bo Tanaka"),
        ("Videos", "The roadmap video is here!"),
        ("Videos", "An interview with Cy Young."),
        ("Tools", "Ripgrep"),
    ]


def test_unlinked_name_and_dash_lines_under_a_heading_stay_items() -> None:
    """ "Gradio 4.0 — build demos fast": each line names a thing, even with no link."""
    text = """Issue 7 of the digest, hello.

## Quick tools

- Gradio 4.0 — build demos in a few lines
- Ollama — run language models on your own machine
"""
    assert _pairs(_md(text)) == [("Quick tools", "Gradio 4.0"), ("Quick tools", "Ollama")]


def test_a_story_ending_on_links_to_its_variants_is_one_resource() -> None:
    """Prose, then links to one site's builds of the thing it tells of: one story. Links to
    distinct things under prose stay items, even on one site."""
    text = """Issue 7 of the digest, hello.

## Package Web Interface

Ada enabled the web mode, which builds a site with every package's information.

You can access it in the following links:

- [x86-64 Packages](https://static.example/web/x86_64/)
- [ARM64 (aarch64) Packages](https://static.example/web/aarch64/)

## Tasks

Pick one and say hello.

- [Hyperswitch - Add integrity check in Adyen](https://git.example/hs/issues/8149)
- [Hyperswitch - Add integrity check in ACI](https://git.example/hs/issues/8151)
"""
    issue = _md(text)
    assert _pairs(issue) == [
        (None, "Package Web Interface"),
        ("Tasks", "Hyperswitch - Add integrity check in Adyen"),
        ("Tasks", "Hyperswitch - Add integrity check in ACI"),
    ]
    assert issue.resources[0].links == (
        "https://static.example/web/x86_64/",
        "https://static.example/web/aarch64/",
    )


def test_a_link_showing_its_own_address_names_nothing() -> None:
    """ "[example.com/post/](https://example.com/post/)" is an address, not a title: the
    heading above it names the thing. A bare domain ("libs.rs") is a site's name."""
    text = """Issue 7 of the digest, hello.

## The Flux Quick Start Guide

[www.jack.example/2015/flux-guide.html](http://www.jack.example/2015/flux-guide.html "Guide")

The concepts of the architecture, one by one, with a starter kit to try.

- [jarsbe/flux-starter-kit](https://github.example/jarsbe/flux-starter-kit)

## Sites

- [libs.rs](http://libs.rs), a list of crates
- [rustaceans.example](https://www.rustaceans.example/), who is who
"""
    assert _pairs(_md(text)) == [
        (None, "The Flux Quick Start Guide"),
        ("Sites", "libs.rs"),
        ("Sites", "rustaceans.example"),
    ]


def test_a_heading_over_its_address_line_is_one_resource_with_its_related_links() -> None:
    """A heading, a line that is only the address of what it names, notes, then related
    links: one resource; the related links are not items of their own."""
    text = """Issue 7 of the digest, hello.

## Introducing fuite: a tool for finding memory leaks

[nolan.example/2021/12/17/introducing-fuite/](https://nolan.example/2021/12/17/introducing-fuite/)

A tool to debug memory leaks, scenario by scenario.

- [nolan/fuite: a tool for finding memory leaks](https://github.example/nolan/fuite)
- [Debugging a memory leak with fuite](https://video.example/watch?v=1)
"""
    issue = _md(text)
    assert _pairs(issue) == [(None, "Introducing fuite: a tool for finding memory leaks")]
    assert len(issue.resources[0].links) == 3


def test_a_pick_described_in_its_first_sentence_is_found_beside_a_thank_you_link() -> None:
    """ "This week's pick is [foo](…), a … . Thanks to [Ada](…)!": the pick is the resource;
    a paragraph whose first sentence describes no one link is not titled by a link."""
    text = """Issue 7 of the digest, hello.

## Pick of the Week

This week's pick is [emu](https://git.example/emu), a language for GPUs. Thanks to [Caleb](https://forum.example/u/caleb) for the suggestion!

## Contribute!

This digest is openly developed [on GitHub](https://git.example/digest). Send [issues](https://git.example/digest/issues) or pull requests.
"""
    assert _pairs(_md(text)) == [("Pick of the Week", "emu"), (None, "Contribute!")]


def test_a_year_mistyped_in_the_text_yields_to_the_links_dated_a_year_later() -> None:
    """An issue stating "January 27 2015" whose mail-archive links are all of January 2016
    is of 2016, with a warning. Links of the stated month, or one later, leave the text's year."""
    links = (
        "- [Ada asks about ARM](https://lists.example/pipermail/dev/2016-January/0666.html)\n"
        "- [Bo on builds](https://lists.example/pipermail/dev/2016-January/0662.html)\n"
    )
    text = f"# Weekly News, issue number 55, January 27 2015\n\n## Mail\n\n{links}"
    issue, problems = parse_text(text, "TWN55.md", RULES, "Weekly News", markdown=True)
    assert (issue.year, issue.month) == (2016, 1)
    assert [(p.fatal, "2015" in p.message, "2016" in p.message) for p in problems] == [
        (False, True, True)
    ]
    same = text.replace("2016-January", "2015-February")
    issue, problems = parse_text(same, "TWN55.md", RULES, "Weekly News", markdown=True)
    assert ((issue.year, issue.month), problems) == ((2015, 1), [])


def test_a_year_out_of_order_between_its_neighbours_takes_theirs() -> None:
    """#56 "February 4 2015" between #55 of January 2016 and #57 of February 2016: 2016."""
    from bot.content.folder import settle

    dates = ((55, "January 27 2016"), (56, "February 4 2015"), (57, "February 12 2016"))
    body = "\n\n## Mail\n\n- [Ada on builds](https://a.example/{})\n"
    issues = [
        parse_text(f"# Weekly News {n}, {d}{body.format(n)}", f"TWN{n}.md", RULES, "W", True)[0]
        for n, d in dates
    ]
    result = settle(issues)
    assert [(i.number, i.year, i.month) for i in result.issues] == [
        (55, 2016, 1),
        (56, 2016, 2),
        (57, 2016, 2),
    ]
    assert [p.source for p in result.problems] == ["TWN56.md"]
