# The archive bot in a container. Code and the shipped config in /app (read-only for the bot);
# the SQLite database on a volume at /data; the newsletter's issue files on a volume at /content,
# which the bot writes into (imports, feeds), so they survive rebuilds. compose.yaml mounts your
# own folder and config file over these (docker compose up -d --build; see .env.example).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ARCHIVE_BOT_CONFIG=/app/config/config.yaml \
    ARCHIVE_BOT__CONTENT__FOLDER=/content \
    ARCHIVE_BOT__DATABASE__PATH=/data/archive.sqlite3 \
    ARCHIVE_BOT__HEALTH__HOST=0.0.0.0

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install .
COPY config ./config

# The bot runs as its own user (uid 10001), owner of the two folders it writes. The bundled
# issues seed /content: an empty named volume starts as a copy of them.
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin bot \
    && mkdir /data /content && chown bot:bot /data /content
COPY --chown=bot:bot seeds /content
USER bot
VOLUME ["/data", "/content"]

HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "status"]
CMD ["python", "-m", "bot"]
