"""The database schema, created (and migrated) by the code itself."""

from __future__ import annotations

import aiosqlite

from bot.errors import SchemaError

SCHEMA_VERSION = 1

# Content tables are rebuilt from the files on every load. State that users create
# (pick history, schedules, posted slots, meta) lives in tables a load never touches.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS issues (
    number        INTEGER PRIMARY KEY,
    title         TEXT NOT NULL,
    year          INTEGER,
    month         INTEGER,
    date_inferred INTEGER NOT NULL DEFAULT 0,
    url           TEXT,
    source        TEXT NOT NULL,
    fingerprint   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS resources (
    id       INTEGER PRIMARY KEY,
    key      TEXT NOT NULL UNIQUE,
    issue    INTEGER NOT NULL REFERENCES issues(number),
    position INTEGER NOT NULL,
    title    TEXT NOT NULL,
    text     TEXT NOT NULL,
    links    TEXT NOT NULL,
    section  TEXT
);
CREATE INDEX IF NOT EXISTS resources_by_issue ON resources(issue, position);
CREATE VIRTUAL TABLE IF NOT EXISTS resources_fts USING fts5(
    title, text, links,
    content='resources', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE IF NOT EXISTS resources_vocab USING fts5vocab(resources_fts, 'row');
CREATE TABLE IF NOT EXISTS pick_history (
    scope        TEXT NOT NULL,
    resource_key TEXT NOT NULL,
    picked_at    TEXT NOT NULL,
    PRIMARY KEY (scope, resource_key)
);
CREATE TABLE IF NOT EXISTS schedules (
    guild_id        INTEGER PRIMARY KEY,
    channel_id      INTEGER NOT NULL,
    cron            TEXT NOT NULL,
    timezone        TEXT NOT NULL,
    next_run_at     TEXT,
    enabled         INTEGER NOT NULL DEFAULT 1,
    disabled_reason TEXT,
    last_post_at    TEXT,
    last_post_title TEXT,
    updated_at      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS posted_slots (
    guild_id     INTEGER NOT NULL,
    slot         TEXT NOT NULL,
    channel_id   INTEGER NOT NULL,
    resource_key TEXT,
    posted_at    TEXT NOT NULL,
    PRIMARY KEY (guild_id, slot)
);
"""


async def ensure_schema(db: aiosqlite.Connection) -> None:
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    version = int(row[0]) if row else 0
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"the database has schema version {version}, newer than this bot's "
            f"({SCHEMA_VERSION}): upgrade the bot or point database.path at a new file"
        )
    await db.executescript(_SCHEMA)
    await db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    await db.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
        (str(SCHEMA_VERSION),),
    )
    await db.commit()
