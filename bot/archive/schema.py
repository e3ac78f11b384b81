"""The database schema as numbered, forward-only migrations, applied at start in one transaction.

``PRAGMA user_version`` holds the number of the last step applied. A database newer than the
code is refused (``SchemaError``), never altered. Content tables can always be rebuilt from the
files, so a step that reshapes them may drop them (the next load fills them again); state that
users create (schedules, pick history, posted slots, meta) is carried over, never dropped.
"""

from __future__ import annotations

import sqlite3

from bot.errors import SchemaError

# Step 1 is release 0.1.0's schema, exactly as it created it.
_STEP_1 = """
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

# Step 2: incremental loads. Each content file has a row (size, mtime, hash) so that a reload
# reads only what changed; issues remember the date their file stated, so that dates inferred
# from the numbering can be worked out again when other issues change. The store keeps the
# full-text index in step with the resources it writes (in bulk: triggers cost 4× as much),
# so no load rebuilds it whole. The content tables are dropped and refilled by the next load.
_STEP_2 = """
DROP TABLE IF EXISTS resources_vocab;
DROP TABLE IF EXISTS resources_fts;
DROP TABLE IF EXISTS resources;
DROP TABLE IF EXISTS issues;
CREATE TABLE sources (
    name     TEXT PRIMARY KEY,
    size     INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256   TEXT NOT NULL
);
CREATE TABLE issues (
    number        INTEGER PRIMARY KEY,
    title         TEXT NOT NULL,
    year          INTEGER,
    month         INTEGER,
    date_inferred INTEGER NOT NULL DEFAULT 0,
    stated_year   INTEGER,
    stated_month  INTEGER,
    number_source TEXT NOT NULL DEFAULT 'text',
    url           TEXT,
    source        TEXT NOT NULL,
    fingerprint   TEXT NOT NULL
);
CREATE INDEX issues_by_source ON issues(source);
CREATE TABLE resources (
    id       INTEGER PRIMARY KEY,
    key      TEXT NOT NULL UNIQUE,
    issue    INTEGER NOT NULL REFERENCES issues(number),
    position INTEGER NOT NULL,
    title    TEXT NOT NULL,
    text     TEXT NOT NULL,
    links    TEXT NOT NULL,
    section  TEXT
);
CREATE INDEX resources_by_issue ON resources(issue, position);
CREATE VIRTUAL TABLE resources_fts USING fts5(
    title, text, links,
    content='resources', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE resources_vocab USING fts5vocab(resources_fts, 'row');
CREATE INDEX pick_history_by_time ON pick_history(scope, picked_at);
"""

# Step 3: several newsletters. Issues are keyed by (newsletter, number); resources, content
# files and the index carry the newsletter and are dropped and refilled by the next load. A
# resource key starts with its newsletter ("rust/12-…"): pick history written before has keys
# without one, and the store gives them the first configured newsletter's at open
# (``ArchiveStore.adopt``). A schedule posts from one newsletter, or from all (NULL): every
# schedule written before posts from all, as it did.
_STEP_3 = """
DROP TABLE IF EXISTS resources_vocab;
DROP TABLE IF EXISTS resources_fts;
DROP TABLE IF EXISTS resources;
DROP TABLE IF EXISTS issues;
DROP TABLE IF EXISTS sources;
CREATE TABLE sources (
    newsletter TEXT NOT NULL,
    name       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    mtime_ns   INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    PRIMARY KEY (newsletter, name)
);
CREATE TABLE issues (
    newsletter    TEXT NOT NULL,
    number        INTEGER NOT NULL,
    title         TEXT NOT NULL,
    year          INTEGER,
    month         INTEGER,
    date_inferred INTEGER NOT NULL DEFAULT 0,
    stated_year   INTEGER,
    stated_month  INTEGER,
    number_source TEXT NOT NULL DEFAULT 'text',
    url           TEXT,
    source        TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    PRIMARY KEY (newsletter, number)
);
CREATE INDEX issues_by_source ON issues(newsletter, source);
CREATE TABLE resources (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    newsletter TEXT NOT NULL,
    issue      INTEGER NOT NULL,
    position   INTEGER NOT NULL,
    title      TEXT NOT NULL,
    text       TEXT NOT NULL,
    links      TEXT NOT NULL,
    section    TEXT,
    FOREIGN KEY (newsletter, issue) REFERENCES issues(newsletter, number)
);
CREATE INDEX resources_by_issue ON resources(newsletter, issue, position);
CREATE INDEX resources_by_number ON resources(issue, position);
CREATE VIRTUAL TABLE resources_fts USING fts5(
    title, text, links,
    content='resources', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE resources_vocab USING fts5vocab(resources_fts, 'row');
ALTER TABLE schedules ADD COLUMN newsletter TEXT;
"""

# Step 4: announcements. A server announces new issues (of one newsletter, or of all: NULL) in
# one channel, pinging one role or none. A load that adds an issue newer than every issue its
# newsletter had queues it in ``new_issues`` (a first load queues nothing: it is the baseline);
# ``announced_issues`` is the ledger, unique per (server, newsletter, issue), claimed before
# each post so that no issue is announced twice, even across a crash.
_STEP_4 = """
CREATE TABLE announcements (
    guild_id        INTEGER PRIMARY KEY,
    channel_id      INTEGER NOT NULL,
    role_id         INTEGER,
    newsletter      TEXT,
    enabled         INTEGER NOT NULL DEFAULT 1,
    disabled_reason TEXT,
    since           TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE TABLE new_issues (
    newsletter TEXT NOT NULL,
    issue      INTEGER NOT NULL,
    added_at   TEXT NOT NULL,
    PRIMARY KEY (newsletter, issue)
);
CREATE TABLE announced_issues (
    guild_id     INTEGER NOT NULL,
    newsletter   TEXT NOT NULL,
    issue        INTEGER NOT NULL,
    channel_id   INTEGER NOT NULL,
    announced_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, newsletter, issue)
);
"""

# Step 5: several schedules per server. A schedule has its own id (never reused: a stopped
# schedule's ledger rows keep theirs), and the posted-slot ledger is unique per (schedule,
# slot). Every schedule is carried over with a new id (in order of server); every ledger row
# goes to its server's schedule, or to schedule 0 (which no schedule has) when the server's
# schedule was stopped before the upgrade.
_STEP_5 = """
CREATE TABLE schedules_5 (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id        INTEGER NOT NULL,
    channel_id      INTEGER NOT NULL,
    cron            TEXT NOT NULL,
    timezone        TEXT NOT NULL,
    next_run_at     TEXT,
    enabled         INTEGER NOT NULL DEFAULT 1,
    disabled_reason TEXT,
    last_post_at    TEXT,
    last_post_title TEXT,
    updated_at      TEXT NOT NULL,
    newsletter      TEXT
);
INSERT INTO schedules_5(guild_id, channel_id, cron, timezone, next_run_at, enabled,
    disabled_reason, last_post_at, last_post_title, updated_at, newsletter)
    SELECT guild_id, channel_id, cron, timezone, next_run_at, enabled, disabled_reason,
        last_post_at, last_post_title, updated_at, newsletter
    FROM schedules ORDER BY guild_id;
CREATE TABLE posted_slots_5 (
    schedule_id  INTEGER NOT NULL DEFAULT 0,
    guild_id     INTEGER NOT NULL,
    slot         TEXT NOT NULL,
    channel_id   INTEGER NOT NULL,
    resource_key TEXT,
    posted_at    TEXT NOT NULL,
    PRIMARY KEY (schedule_id, slot)
);
INSERT INTO posted_slots_5(schedule_id, guild_id, slot, channel_id, resource_key, posted_at)
    SELECT coalesce(s.id, 0), p.guild_id, p.slot, p.channel_id, p.resource_key, p.posted_at
    FROM posted_slots p LEFT JOIN schedules_5 s ON s.guild_id = p.guild_id;
DROP TABLE schedules;
DROP TABLE posted_slots;
ALTER TABLE schedules_5 RENAME TO schedules;
ALTER TABLE posted_slots_5 RENAME TO posted_slots;
CREATE INDEX schedules_by_guild ON schedules(guild_id);
CREATE INDEX posted_slots_by_guild ON posted_slots(guild_id, slot);
"""
# Step 6: feeds. Each configured feed (per newsletter and URL) keeps what its last answer said
# (ETag, Last-Modified, for conditional requests), how many polls in a row failed and why, and
# when it is polled next (later after each failure); ``feed_entries`` holds the ids of the
# entries already turned into issue files, so that none is written twice.
_STEP_6 = """
CREATE TABLE feeds (
    newsletter    TEXT NOT NULL,
    url           TEXT NOT NULL,
    etag          TEXT,
    last_modified TEXT,
    failures      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    next_poll_at  TEXT,
    polled_at     TEXT,
    PRIMARY KEY (newsletter, url)
);
CREATE TABLE feed_entries (
    newsletter TEXT NOT NULL,
    url        TEXT NOT NULL,
    entry_id   TEXT NOT NULL,
    seen_at    TEXT NOT NULL,
    PRIMARY KEY (newsletter, url, entry_id)
);
"""

# Step 7: conversations. An announcement posts as a message in its channel ('channel'), as a
# message with a thread opened on it ('thread'), or as a forum post ('forum'): every
# announcement set before posts as a message, as it did. Members keep a saved list: their user
# id and the key of each item saved (a resource's key, or "<newsletter>/<number>" for an
# issue), nothing else; the row id orders the list, newest first.
_STEP_7 = """
ALTER TABLE announcements ADD COLUMN mode TEXT NOT NULL DEFAULT 'channel';
CREATE TABLE saved (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    key     TEXT NOT NULL,
    UNIQUE (user_id, key)
);
"""

# Step 8: feed entries written exactly once. An entry is recorded with the number and file it
# is given (``assigned``, its page kept) before its file is written, and marked ``done`` once
# the file is written and loaded: a crash in between writes the same file under the same number
# on the next pass, never a second one. An entry whose number jumps far beyond the newsletter's
# sequence is ``held`` (its page kept) until a moderator releases or dismisses it. Rows from
# before this step are ``done``.
_STEP_8 = """
ALTER TABLE feed_entries ADD COLUMN state TEXT NOT NULL DEFAULT 'done';
ALTER TABLE feed_entries ADD COLUMN number INTEGER;
ALTER TABLE feed_entries ADD COLUMN file TEXT;
ALTER TABLE feed_entries ADD COLUMN title TEXT;
ALTER TABLE feed_entries ADD COLUMN page TEXT;
CREATE INDEX feed_entries_by_state ON feed_entries(state, newsletter);
"""

# Step 9: link checks. One row per link checked (whatever resources hold it): its status
# (ok, redirected, blocked, dead; unknown while no check has said), the address a redirect led
# to, the last HTTP status, when it was checked, since when and how many checks in a row it
# has failed, and when it is checked next. Only a status is kept, never a response.
_STEP_9 = """
CREATE TABLE link_checks (
    url           TEXT PRIMARY KEY,
    status        TEXT NOT NULL DEFAULT 'unknown',
    final_url     TEXT,
    http_status   INTEGER,
    checked_at    TEXT,
    failing_since TEXT,
    failures      INTEGER NOT NULL DEFAULT 0,
    next_check_at TEXT
);
CREATE INDEX link_checks_by_status ON link_checks(status);
"""

# Step 10: posts exactly once. Each ledger row has a state: "posting" (claimed, not yet
# confirmed by Discord: sent again with the same nonce after a crash), "posted", or "failed"
# (refused for good). Every row written before was a post counted as made: "posted".
_STEP_10 = """
ALTER TABLE announced_issues ADD COLUMN state TEXT NOT NULL DEFAULT 'posted';
ALTER TABLE posted_slots ADD COLUMN state TEXT NOT NULL DEFAULT 'posted';
"""

MIGRATIONS: tuple[str, ...] = (
    _STEP_1, _STEP_2, _STEP_3, _STEP_4, _STEP_5, _STEP_6, _STEP_7, _STEP_8, _STEP_9, _STEP_10,
)  # fmt: skip
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection) -> int:
    """Bring ``db`` to ``SCHEMA_VERSION`` in one transaction; return the version it had.

    Runs on a plain ``sqlite3`` connection opened with ``isolation_level=None``.
    """
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"the database has schema version {version}, newer than this bot's "
            f"({SCHEMA_VERSION}): upgrade the bot, or point database.path at a new file"
        )
    if version == SCHEMA_VERSION:
        return version
    db.execute("BEGIN IMMEDIATE")
    try:
        for step in MIGRATIONS[version:]:
            for statement in _statements(step):
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return version


def _statements(script: str) -> list[str]:
    """A script cut into whole statements (``executescript`` would commit on its own)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return [s for s in statements if s]
