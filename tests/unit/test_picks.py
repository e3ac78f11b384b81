from __future__ import annotations

from pathlib import Path

from bot.archive.service import ArchiveService


async def test_picks_skip_the_latest_issue_and_never_repeat_within_a_round(
    service: ArchiveService,
) -> None:
    candidates = 49 - 12  # every resource but those of the latest issue (#28, 12 resources)
    first_round = [await service.picks.pick("channel-1") for _ in range(candidates)]
    keys = [p.key for p in first_round if p is not None]
    assert len(keys) == candidates == len(set(keys))
    assert all(p is not None and p.issue != 28 for p in first_round)
    # Every candidate has had its turn: a new round starts, again without repeats.
    second_round = [await service.picks.pick("channel-1") for _ in range(candidates)]
    assert len({p.key for p in second_round if p}) == candidates


async def test_each_channel_has_its_own_history(service: ArchiveService) -> None:
    a = [await service.picks.pick("a") for _ in range(10)]
    b = [await service.picks.pick("b") for _ in range(10)]
    assert len({p.key for p in a if p}) == 10 and len({p.key for p in b if p}) == 10


async def test_no_pick_when_only_the_latest_issue_exists(
    service: ArchiveService, content_dir: Path
) -> None:
    for path in content_dir.glob("00[0-2]_*.txt"):
        path.unlink()
    (content_dir / "004_3e1d68fb5b851ac9.txt").unlink()
    await service.loader.reload()
    assert await service.picks.pick("c") is None


async def test_a_preview_uses_no_pick_and_follows_the_round(service: ArchiveService) -> None:
    first = await service.picks.pick("chan")
    assert first is not None
    for _ in range(10):
        preview = await service.picks.preview("chan")
        assert preview is not None and preview.key != first.key
    assert await service.picks.picked("chan") == [first.key]
    latest = await service.issues.latest()
    assert latest is not None
    candidates = await service.issues.resources("r.issue < ?", (latest.number,))
    while len(await service.picks.picked("chan")) < len(candidates):
        await service.picks.pick("chan")  # every candidate has its turn
    everything = await service.picks.picked("chan")
    preview = await service.picks.preview("chan")  # the next pick starts a new round
    assert preview is not None and preview.key in everything
    assert await service.picks.picked("chan") == everything  # the round was not reset
