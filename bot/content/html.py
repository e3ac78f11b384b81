"""Saved web pages → Markdown: the page's main content, without navigation, header, footer,
scripts, forms or cookie banners, with its links kept (trafilatura).

The page's title, address and the date its own markup states come first as YAML front
matter; no date is guessed from elsewhere (a copyright line, the text).
"""

from __future__ import annotations

import trafilatura
import yaml
from trafilatura.metadata import extract_metadata

_DATES = {"extensive_search": False, "original_date": True}


def html_to_markdown(html: str) -> str:
    """The main content of a saved page as Markdown; ``""`` when the page has none."""
    body = trafilatura.extract(
        html,
        output_format="markdown",
        include_links=True,
        include_formatting=True,
        include_images=False,
        include_comments=False,
        favor_recall=True,
        deduplicate=False,
        fast=True,  # the fallback extractors return plain text, links lost
    )
    if not body:
        return ""
    found = extract_metadata(html, date_config=_DATES, extensive=False)
    front = {
        key: value
        for key, value in (("title", found.title), ("date", found.date), ("url", found.url))
        if value
    }
    if not front:
        return str(body)
    return f"---\n{yaml.safe_dump(front, allow_unicode=True)}---\n{body}"
