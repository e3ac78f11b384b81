"""SQLite archive: schema, atomic content loads, queries, search, picks and schedules."""
