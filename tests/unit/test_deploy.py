"""The deploy kit, as far as it can be tested without a Docker engine: the image's entry and
healthcheck commands, its environment overrides, compose.yaml, .env.example, .gitignore."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
import yaml

from bot.config import ENV_PREFIX, load_settings
from tests.conftest import ROOT

ENTRY = ["python", "-m", "bot"]
HEALTHCHECK = ["python", "-m", "bot", "status"]


def _dockerfile() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _instruction(name: str) -> list[str]:
    return [line.split(None, 1)[1] for line in _dockerfile() if line.split()[0] == name]


def _image_environment() -> dict[str, str]:
    pairs = " ".join(_instruction("ENV")).split()
    return dict(pair.split("=", 1) for pair in pairs)


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)  # no .env
    with mock.patch.dict(os.environ):
        for name in [n for n in os.environ if n.startswith(ENV_PREFIX)]:
            del os.environ[name]
        yield


def test_the_image() -> None:
    assert _instruction("FROM") == ["python:3.11-slim"]
    assert _instruction("USER") == ["bot"]  # not root
    assert json.loads(_instruction("VOLUME")[0]) == ["/data"]
    assert json.loads(_instruction("CMD")[0]) == ENTRY
    healthcheck = _instruction("HEALTHCHECK")[0]
    assert json.loads(healthcheck.split(" CMD ", 1)[1]) == HEALTHCHECK


def test_the_image_keeps_the_database_on_the_volume(
    clean_environment: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    os.environ.update(_image_environment())
    monkeypatch.setattr("bot.config.os.access", lambda *_: True)  # the image makes /data the bot's
    assert load_settings().database_path == Path("/data/archive.sqlite3")


def test_compose() -> None:
    service = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))["services"]["bot"]
    assert service["restart"] == "unless-stopped"
    assert service["env_file"] == ".env"
    assert "archive-data:/data" in service["volumes"]
    assert service["healthcheck"]["test"] == ["CMD", *HEALTHCHECK]


def test_procfile_runs_the_same_entry() -> None:
    assert (ROOT / "Procfile").read_text(encoding="utf-8").strip() == "worker: " + " ".join(ENTRY)


def test_the_entry_and_healthcheck_commands_run(tmp_path: Path) -> None:
    """What the container runs, from the project folder, with the image's kind of settings."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)},
        f"{ENV_PREFIX}DATABASE__PATH": str(tmp_path / "data" / "archive.sqlite3"),
        "DISCORD_TOKEN": "",
    }
    python = [sys.executable, *ENTRY[1:]]
    entry = subprocess.run(python, cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert entry.returncode == 2 and "No Discord token" in entry.stderr
    status = subprocess.run([sys.executable, *HEALTHCHECK[1:]], cwd=tmp_path,
                            env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert status.returncode == 1 and "not running: no heartbeat" in status.stderr


def test_env_example_overrides_are_valid(clean_environment: None) -> None:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    assert "DISCORD_TOKEN=" in lines
    overrides = [line.lstrip("# ") for line in lines if line.lstrip("# ").startswith(ENV_PREFIX)]
    assert overrides
    for line in overrides:
        name, value = line.split("=", 1)
        if name != f"{ENV_PREFIX}DATABASE__PATH":  # /data exists in the image only
            os.environ[name] = value
    settings = load_settings()
    assert settings.discord.default_timezone == "Europe/Paris"
    assert settings.discord.dev_guild_ids == (123456789012345678,)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
@pytest.mark.parametrize(
    ("name", "ignored"),
    [(".env", True), (".env.local", True), (".env.production", True), (".env.example", False)],
)
def test_env_files_are_git_ignored_except_the_example(name: str, ignored: bool) -> None:
    check = subprocess.run(["git", "check-ignore", "--no-index", "-q", name], cwd=ROOT, timeout=30)
    assert (check.returncode == 0) == ignored
