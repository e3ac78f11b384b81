"""Searches narrowed to an issue, a year or a section, and what autocompletes those options."""

from __future__ import annotations

from bot.archive.records import SearchFilters
from bot.archive.service import ArchiveService


async def test_filters_narrow_and_combine(service: ArchiveService) -> None:
    everywhere = await service.search.find("model", limit=25)
    assert {hit.resource.issue for hit in everywhere} >= {15, 23, 28}
    in_23 = await service.search.find("model", limit=25, filters=SearchFilters(issue=23))
    assert in_23 and {hit.resource.issue for hit in in_23} == {23}
    in_2021 = await service.search.find("model", limit=25, filters=SearchFilters(year=2021))
    assert {hit.resource.issue for hit in in_2021} == {15, 23}
    section = await service.search.find(
        "model", limit=25, filters=SearchFilters(section="from the INTERWEBS")
    )
    assert section and {hit.resource.section for hit in section} == {"From the interwebs"}
    both = await service.search.find("model", limit=25, filters=SearchFilters(issue=15, year=2020))
    assert both == []


async def test_a_narrow_search_still_finds_beyond_the_best_matches_everywhere(
    service: ArchiveService,
) -> None:
    """The filter is in the query, not applied to the top results afterwards."""
    top = {hit.resource.key for hit in await service.search.find("learning", limit=3)}
    narrowed = await service.search.find("learning", limit=25, filters=SearchFilters(issue=2))
    assert narrowed and not {hit.resource.key for hit in narrowed} & top


async def test_sections_and_years_autocomplete_from_what_exists(service: ArchiveService) -> None:
    sections = await service.search.autocomplete_sections("")
    assert sections[0] in ("From the Internet", "Machine Learning Updates From the Internet")
    assert "My work" in sections and None not in sections
    assert await service.search.autocomplete_sections("inter") == [
        s for s in sections if "inter" in s.casefold()
    ]
    assert await service.search.autocomplete_sections("nothing like it") == []
    assert await service.search.autocomplete_years("") == [2022, 2021, 2020]
    assert await service.search.autocomplete_years("202") == [2022, 2021, 2020]
    assert await service.search.autocomplete_years("2021") == [2021]
