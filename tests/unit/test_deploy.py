"""The deploy kit, as far as it can be tested without a Docker engine: the image's entry and
healthcheck commands, its user and volumes, its environment overrides, compose.yaml (your own
folder and config, writable content, log rotation), .env.example, .gitignore; and the entry
point run locally with the container's paths mapped into a folder, serving a newsletter of
the user's own."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast
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
    assert json.loads(_instruction("VOLUME")[0]) == ["/data", "/content"]
    assert json.loads(_instruction("CMD")[0]) == ENTRY
    healthcheck = _instruction("HEALTHCHECK")[0]
    assert json.loads(healthcheck.split(" CMD ", 1)[1]) == HEALTHCHECK


def test_the_bot_user_owns_the_folders_it_writes() -> None:
    lines = _dockerfile()
    (setup,) = [line for line in _instruction("RUN") if "useradd" in line]
    assert "--uid 10001" in setup and setup.split()[-1] != "root"
    assert "mkdir /data /content && chown bot:bot /data /content" in setup
    # The bundled issues seed the content volume, owned by the bot; the code is not its own.
    assert "--chown=bot:bot seeds /content" in _instruction("COPY")
    assert "bot ./bot" in _instruction("COPY")
    user = lines.index("USER bot")
    assert lines.index(f"RUN {setup}") < user and lines.index("CMD " + json.dumps(ENTRY)) > user


def test_the_image_keeps_the_database_and_content_on_the_volumes(
    clean_environment: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = _image_environment()
    assert environment["ARCHIVE_BOT_CONFIG"] == "/app/config/config.yaml"  # COPY config ./config
    assert _instruction("WORKDIR") == ["/app"] and "config ./config" in _instruction("COPY")
    os.environ.update(environment)
    os.environ["ARCHIVE_BOT_CONFIG"] = str(ROOT / "config" / "config.yaml")  # /app here
    monkeypatch.setattr("bot.config.os.access", lambda *_: True)  # the image makes /data the bot's
    settings = load_settings()
    assert settings.database_path == Path("/data/archive.sqlite3")
    assert settings.content_folder == Path("/content")
    assert (settings.health.host, settings.health.port) == ("0.0.0.0", None)  # opt-in


def _compose() -> dict[str, Any]:
    return cast("dict[str, Any]", yaml.safe_load((ROOT / "compose.yaml").read_text("utf-8")))


def _interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ``${NAME:-default}``."""
    return re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: env.get(m[1]) or m[2], value)


def test_compose() -> None:
    compose = _compose()
    service = compose["services"]["bot"]
    assert service["restart"] == "unless-stopped"
    assert service["env_file"] == ".env"
    assert "archive-data:/data" in service["volumes"]
    assert service["healthcheck"]["test"] == ["CMD", *HEALTHCHECK]
    assert set(compose["volumes"]) == {"archive-data", "archive-content"}


def test_compose_rotates_its_logs() -> None:
    logging = _compose()["services"]["bot"]["logging"]
    assert logging["driver"] == "json-file"
    assert logging["options"] == {"max-size": "10m", "max-file": "5"}


@pytest.mark.parametrize(
    ("env", "content", "config"),
    [
        ({}, "archive-content", "./config/config.yaml"),
        (
            {"CONTENT_DIR": "./my-issues", "CONFIG": "./my-config.yaml"},
            "./my-issues",
            "./my-config.yaml",
        ),
    ],
)
def test_compose_serves_your_own_folder_and_config(
    env: dict[str, str], content: str, config: str
) -> None:
    service = _compose()["services"]["bot"]
    volumes = service["volumes"]
    mounts = [_interpolate(v, env) for v in volumes if isinstance(v, str)]
    assert f"{content}:/content" in mounts  # writable: no :ro
    (bind,) = [v for v in volumes if isinstance(v, dict)]
    assert _interpolate(bind["source"], env) == config
    assert bind["read_only"] is True and bind["bind"]["create_host_path"] is False
    assert service["environment"]["ARCHIVE_BOT_CONFIG"] == bind["target"]
    # The image's content volume is the one mounted; the config's folder is overridden to it.
    assert "/content" in json.loads(_instruction("VOLUME")[0])
    assert _image_environment()["ARCHIVE_BOT__CONTENT__FOLDER"] == "/content"


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


def test_the_entry_point_serves_your_own_newsletter(tmp_path: Path) -> None:
    """The container's paths (/config/config.yaml from CONFIG, /content from CONTENT_DIR,
    /data) mapped into a folder here, with the image's and compose's environment: your own
    config's newsletter, read from your own folder, the database on the data volume."""
    mapped = {"/config": tmp_path / "config", "/content": tmp_path / "my-issues",
              "/data": tmp_path / "data"}  # fmt: skip
    for folder in mapped.values():
        folder.mkdir()
    for number in (7, 8):
        (mapped["/content"] / f"issue-{number}.md").write_text(
            f"---\nnumber: {number}\ndate: 2024-0{number - 5}\n---\n# Example Weekly {number}\n\n"
            "## A useful tool\n\nIt does things.\n\n## A good paper\n\nIt says things.\n",
            encoding="utf-8",
        )
    (mapped["/config"] / "config.yaml").write_text(
        "newsletter:\n  name: Example Weekly\n  cadence: 1 month\n"
        "content:\n  folder: ./written-for-the-host\n",
        encoding="utf-8",
    )

    def here(value: str) -> str:
        for inside, outside in mapped.items():
            if value.startswith(inside + "/") or value == inside:
                return str(outside) + value[len(inside) :]
        return value

    service = _compose()["services"]["bot"]
    environment = {**_image_environment(), **service["environment"]}
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)},
        **{k: here(v) for k, v in environment.items()},
        "DISCORD_TOKEN": "",
        "PYTHONPATH": str(ROOT),
    }
    assert env["ARCHIVE_BOT_CONFIG"] == str(mapped["/config"] / "config.yaml")

    def run(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, *ENTRY[1:], *arguments], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=60)  # fmt: skip

    latest = run("latest")
    assert latest.returncode == 0, latest.stderr
    assert latest.stdout.splitlines()[0] == "Example Weekly 8"
    assert (mapped["/data"] / "archive.sqlite3").is_file()
    checked = run("check")
    assert checked.returncode == 0 and "2 issues" in checked.stdout
    entry = run()
    assert entry.returncode == 2 and "No Discord token" in entry.stderr
