"""Saved web pages → Markdown: the page's main content, without navigation, header, footer,
scripts, forms or cookie banners, with its links kept (trafilatura).

The page's title and the date its own markup states come first as YAML front matter; no
date is guessed from elsewhere (a copyright line, the address).
"""

from __future__ import annotations

import trafilatura


def html_to_markdown(html: str) -> str:
    """The main content of a saved page as Markdown; ``""`` when the page has none."""
    extracted = trafilatura.extract(
        html,
        output_format="markdown",
        include_links=True,
        include_formatting=True,
        include_images=False,
        include_comments=False,
        favor_recall=True,
        deduplicate=False,
        with_metadata=True,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    return extracted or ""
