"""Saved web pages → blocks: the page's main content, its links kept.

The main content is the page's ``<main>`` (or ``role="main"``), else its longest
``<article>``, else its body; navigation, site header and footer, sidebars, scripts, forms,
cookie banners and share or subscribe boxes are dropped by tag, role, class and id. What
remains is read like rendered Markdown (``htmlblocks``). General-purpose extractors drop lists
of links by their link density, and a newsletter is mostly lists of links.
"""

from __future__ import annotations

import re
from dataclasses import replace

import lxml.etree
import lxml.html
from lxml.html import HtmlElement

from bot.content.blocks import Block
from bot.content.frontmatter import FrontMatter, FrontMatterError, parse_date
from bot.content.htmlblocks import element_blocks

_NEVER_CONTENT = (
    "script style noscript template iframe svg canvas form button select input textarea "
    "nav aside dialog footer"
).split()
_BOILERPLATE = re.compile(
    r"cookie|consent|gdpr|banner|sidebar|navbar|menu|breadcrumb|share|social|subscribe|"
    r"signup|sign-up|related|comments|advert|promo|popup|modal",
    re.IGNORECASE,
)
#: Control characters XML has no place for (a page may hold them, as ``&#12;`` say).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BOILERPLATE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog"}
_DATE_META = (
    "article:published_time", "og:published_time", "date", "dc.date", "dcterms.date",
    "pubdate", "publish_date", "datepublished",
)  # fmt: skip


def _main(document: HtmlElement) -> HtmlElement:
    found = document.xpath("//main|//*[@role='main']")
    if found:
        return found[0]
    articles = document.xpath("//article")
    if articles:
        return max(articles, key=lambda a: len(a.text_content()))
    return document.find("body") if document.find("body") is not None else document


def _is_boilerplate(element: HtmlElement) -> bool:
    if element.tag in _NEVER_CONTENT:
        return True
    if str(element.get("role", "")).lower() in _BOILERPLATE_ROLES:
        return True
    names = f"{element.get('class', '')} {element.get('id', '')}"
    return bool(_BOILERPLATE.search(names))


def _strip(root: HtmlElement, in_body: bool) -> None:
    """Drop what is never content from under ``root`` (the site header too, when ``root``
    is the whole body; an article's own header holds its title)."""
    doomed = [
        element
        for element in root.iter()
        if element is not root
        and (
            not isinstance(element.tag, str)
            or _is_boilerplate(element)
            or (in_body and element.tag == "header")
        )
    ]
    for element in doomed:
        if element.getparent() is not None:
            element.drop_tree()


def _date(document: HtmlElement, main: HtmlElement) -> tuple[int | None, int | None]:
    """The publication month the page's own markup states: a date meta tag, else the first
    ``<time datetime>`` in its content."""
    values = [
        str(meta.get("content", ""))
        for meta in document.iter("meta")
        if str(meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        in _DATE_META
    ]
    values += [str(time.get("datetime")) for time in main.iter("time") if time.get("datetime")]
    for value in values:
        try:
            return parse_date(value.strip(), 1)
        except FrontMatterError:
            continue
    return None, None


def _text(element: HtmlElement) -> str:
    return " ".join(element.text_content().split())


def _meta(document: HtmlElement, *names: str) -> str | None:
    for meta in document.iter("meta"):
        key = str(meta.get("property") or meta.get("name") or "").lower()
        if key in names and (value := " ".join(str(meta.get("content", "")).split())):
            return value
    return None


def _own_title(document: HtmlElement, main: HtmlElement) -> tuple[str | None, HtmlElement | None]:
    """The issue's own title, and the heading that gives it (taken out of the content).

    The page's one top-level heading titles the issue (``None``: the parser finds it among the
    blocks). Failing one, the longest of its first headings that the tab's title contains
    ("Issue 12: Tools" in "Issue 12: Tools | Data Digest"); then the page's ``og:title``;
    then the tab's title, which often names the site rather than the issue.
    """
    if len(main.xpath(".//h1")) == 1:
        return None, None
    tab = " ".join((document.findtext(".//title") or "").split())
    folded = tab.casefold()
    named = [
        (len(text), text, heading)
        for heading in main.xpath("(.//h1|.//h2)[position() <= 3]")
        if len(text := _text(heading)) >= 4
        and 3 * len(text) >= len(tab)
        and text.casefold() in folded
    ]
    if named:
        _, text, heading = max(named, key=lambda found: found[0])
        return text, heading
    return _meta(document, "og:title", "twitter:title") or tab or None, None


def _front_matter(document: HtmlElement, main: HtmlElement, title: str | None) -> FrontMatter:
    year, month = _date(document, main)
    canonical = document.xpath("//link[@rel='canonical']/@href")
    return FrontMatter(
        year=year if month else None,
        month=month,
        title=title,
        url=str(canonical[0]) if canonical else None,
    )


def read_page(html: str) -> tuple[FrontMatter, list[Block]]:
    """A saved page's metadata and the blocks of its main content."""
    try:
        document = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return FrontMatter(), []
    for node in document.iter():  # lxml reads them, but refuses to write them back
        if node.text and _NOT_XML.search(node.text):
            node.text = _NOT_XML.sub(" ", node.text)
        if node.tail and _NOT_XML.search(node.tail):
            node.tail = _NOT_XML.sub(" ", node.tail)
    main = _main(document)
    dated = _front_matter(document, main, None)
    _strip(main, in_body=main.tag == "body")
    title, heading = _own_title(document, main)
    if heading is not None:
        heading.drop_tree()  # the title, not a section
    return replace(dated, title=title), list(element_blocks(main))
