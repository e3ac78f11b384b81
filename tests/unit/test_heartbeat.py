"""The heartbeat the running bot writes and ``python -m bot status`` reads; console lines about
Discord's refusals; the console's --version and empty search."""

from __future__ import annotations

import time
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from bot import __version__
from bot.cli import main
from bot.heartbeat import STALE_AFTER_SECONDS, check_heartbeat, heartbeat_path, write_heartbeat
from bot.render.startup import intents_refused


def test_a_fresh_heartbeat_is_healthy(tmp_path: Path) -> None:
    path = tmp_path / "beat"
    write_heartbeat(path, guilds=3, latency_ms=41.6)
    health = check_heartbeat(path)
    assert health.healthy
    assert health.message.startswith("ok: connected to Discord, 3 guilds, latency 42 ms")


def test_a_stale_missing_or_broken_heartbeat_is_not(tmp_path: Path) -> None:
    path = tmp_path / "beat"
    assert not check_heartbeat(path).healthy
    assert "not running: no heartbeat" in check_heartbeat(path).message
    write_heartbeat(path, guilds=1, latency_ms=10)
    stale = check_heartbeat(path, now=time.time() + STALE_AFTER_SECONDS + 5)
    assert not stale.healthy and "restart it" in stale.message
    path.write_text("{half")
    assert not check_heartbeat(path).healthy


def test_each_database_has_its_own_heartbeat(tmp_path: Path) -> None:
    one, two = heartbeat_path(tmp_path / "a.sqlite3"), heartbeat_path(tmp_path / "b.sqlite3")
    assert one != two and one == heartbeat_path(tmp_path / "a.sqlite3")


def test_status_exits_1_without_a_running_bot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"newsletter: {{name: X}}\ndatabase: {{path: {tmp_path / 'x.sqlite3'}}}\n")
    assert main(["status", "--config", str(config)]) == 1
    assert "not running: no heartbeat" in capsys.readouterr().err


def test_intents_refused_names_the_switches() -> None:
    message = intents_refused(["members", "message_content"])
    assert "enable Server Members Intent and Message Content Intent under" in message
    assert message.endswith("Bot → Privileged Gateway Intents")


PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """pyproject.toml is the one place the version is written: the console says what the
    install recorded from it (a stale editable install fails here: reinstall)."""
    written = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
    assert __version__ == written
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"newsletter-archive-bot {written}\n"


def test_the_console_script_runs_the_console() -> None:
    (script,) = entry_points(group="console_scripts", name="archive-bot")
    assert script.load() is main


@pytest.mark.parametrize("query", ["", "   "])
def test_an_empty_search_exits_2(query: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["search", query])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "give some words to search for" in err and "Traceback" not in err
