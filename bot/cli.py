"""Command line: run the Discord bot (default), or use the archive from a console.

python -m bot [run] | sync | status | invite [--application-id ID] | check | inspect PATH
             | latest | issue N | search QUERY | random | db check [--quick] | db backup PATH
             | db restore PATH | db recover [--force] | newsletter add DIR | links check
             | links report [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from bot import __version__
from bot.archive.db import DatabaseLock, backup
from bot.archive.loader import dry_run
from bot.archive.onboarding import add_entry, entry_yaml, propose
from bot.archive.records import SearchFilters
from bot.archive.recovery import check_database, recover_database, restore_database
from bot.archive.service import ArchiveService
from bot.config import Newsletter, Settings, load_settings
from bot.errors import ArchiveBotError, DatabaseError, UnknownNewsletter
from bot.heartbeat import check_heartbeat, heartbeat_path
from bot.permissions import application_id_from_token, invite_url, needed, permission_value
from bot.render.cards import issue_card, latest_card, resource_card, search_card
from bot.render.database import (
    backup_message,
    backup_refused,
    bot_running,
    check_message,
    healthy_not_recovered,
    no_database,
    recovery_message,
    restored_message,
)
from bot.render.inspect import inspect_json, inspect_text, not_found, nothing_read
from bot.render.links import check_summary, progress_line, report_text
from bot.render.messages import (
    NOTHING_IN_ARCHIVES,
    missing_issue_message,
    no_results_message,
    unknown_newsletter_message,
)
from bot.render.onboarding import declined, not_a_terminal, proposal_text, question, written
from bot.render.operations import (
    held_dismissed,
    held_listing,
    held_number_taken,
    held_released,
    held_unknown,
)
from bot.render.startup import (
    EMPTY_QUERY,
    NEWSLETTER_NOT_HERE,
    NO_APPLICATION_ID,
    TOKEN_WITHOUT_ID,
    invite_lines,
)
from bot.render.text import card_text, hit_json, issue_json, resource_json

CONSOLE_SCOPE = "console"
#: The largest issue number the console accepts (the store's limit is far above it).
MAX_ISSUE_NUMBER = 1_000_000


def _issue_number(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= number <= MAX_ISSUE_NUMBER:
        raise argparse.ArgumentTypeError(f"{number} is not between 0 and {MAX_ISSUE_NUMBER}")
    return number


def _parser() -> argparse.ArgumentParser:
    # --config works before or after the command; SUPPRESS keeps a subcommand's unset
    # option from overwriting the value given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, default=argparse.SUPPRESS,
                        help="config file (default: config/config.yaml)")  # fmt: skip
    narrow = argparse.ArgumentParser(add_help=False)
    narrow.add_argument("--newsletter", metavar="ID", default=argparse.SUPPRESS,
                        help="only this newsletter (its id; default: every one)")  # fmt: skip
    content = argparse.ArgumentParser(add_help=False, parents=[narrow])
    content.add_argument(
        "--content", type=Path, help="read this folder into a throwaway database instead"
    )
    content.add_argument("--json", action="store_true", help="print JSON for machines")

    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", type=Path, help="config file (default: config/config.yaml)")
    parser.add_argument(
        "--newsletter", metavar="ID", help="only this newsletter (its id; default: every one)"
    )
    parser.add_argument(
        "--version", action="version", version=f"newsletter-archive-bot {__version__}"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", parents=[common], help="run the Discord bot (the default)")
    commands.add_parser("sync", parents=[common], help="sync the slash commands with Discord now")
    commands.add_parser(
        "status", parents=[common], help="exit 0 if the bot is running and connected (healthcheck)"
    )
    invite = commands.add_parser(
        "invite", parents=[common], help="print the link that adds the bot to a server"
    )
    invite.add_argument(
        "--application-id", type=_application_id, metavar="ID",
        help="the application's id (default: read from DISCORD_TOKEN)",
    )  # fmt: skip
    check = commands.add_parser(
        "check", parents=[common, narrow], help="load the content and report every problem"
    )
    check.add_argument(
        "--content", type=Path, help="check this folder instead of the configured one"
    )
    inspect = commands.add_parser(
        "inspect",
        parents=[common, narrow],
        help="how a file or folder is read: numbers, dates, resources, what is dropped and why",
    )
    inspect.add_argument("path", type=Path, help="an issue file or a content folder")
    inspect.add_argument("--json", action="store_true", help="print JSON for machines")
    commands.add_parser("latest", parents=[common, content], help="the newest issue")
    issue = commands.add_parser("issue", parents=[common, content], help="one issue by number")
    issue.add_argument("number", type=_issue_number)
    search = commands.add_parser("search", parents=[common, content], help="search the resources")
    search.add_argument("query", type=_query)
    search.add_argument("--limit", type=int, default=10, help="results to show (default 10)")
    search.add_argument("--issue", type=_issue_number, help="only in this issue (its number)")
    search.add_argument("--year", type=int, help="only in issues of this year")
    search.add_argument("--section", help="only in this section (any case)")
    commands.add_parser("random", parents=[common, content], help='a "from the archives" pick')
    feeds = commands.add_parser(
        "feeds", parents=[common], help="feed entries held for a moderator: list, release, dismiss"
    )
    feed_commands = feeds.add_subparsers(dest="feeds_command", metavar="FEEDS_COMMAND")
    for name, what in (("release", "serve a held entry"), ("dismiss", "never serve it")):
        held = feed_commands.add_parser(name, parents=[common], help=what)
        held.add_argument("id", type=int, help="its id, as python -m bot feeds lists it")
    database = commands.add_parser("db", help="check or recover the database file")
    db_commands = database.add_subparsers(dest="db_command", metavar="DB_COMMAND", required=True)
    db_check = db_commands.add_parser(
        "check", parents=[common], help="exit 0 if the database is healthy, 3 if it is damaged"
    )
    db_check.add_argument("--quick", action="store_true", help="quick_check: faster, less thorough")
    recover = db_commands.add_parser(
        "recover", parents=[common], help="save what can be read into a new file; keep the old"
    )
    recover.add_argument(
        "--force", action="store_true", help="rebuild even a database that checks healthy"
    )
    backup = db_commands.add_parser(
        "backup", parents=[common], help="a consistent copy, safe while the bot runs"
    )
    backup.add_argument("target", type=Path, help="the copy to write (a new file)")
    restore = db_commands.add_parser(
        "restore", parents=[common], help="put a backup in place (the bot stopped); keep the old"
    )
    restore.add_argument("backup", type=Path, help="a file db backup wrote")
    letters = commands.add_parser("newsletter", help="add a newsletter to the config")
    letter_commands = letters.add_subparsers(dest="newsletter_command", required=True)
    add = letter_commands.add_parser("add", aliases=["init"], parents=[common],
                                     help="read a folder, propose its config entry, write it")  # fmt: skip
    add.add_argument("folder", type=Path, help="the folder of the newsletter's issue files")
    add.add_argument("--id", help="its id (default: made from its name)")
    add.add_argument("--name", help="its name (default: learned from its issues)")
    add.add_argument("--yes", action="store_true", help="write without asking")
    links = commands.add_parser("links", help="check the resources' links, or report on them")
    link_commands = links.add_subparsers(
        dest="links_command", metavar="LINKS_COMMAND", required=True
    )
    link_commands.add_parser(
        "check", parents=[common, narrow],
        help="check the links that are due now (one pass, at the configured rates)",
    )  # fmt: skip
    link_report = link_commands.add_parser(
        "report", parents=[common, narrow], help="how many links work, which are dead"
    )
    link_report.add_argument("--json", action="store_true", help="print JSON for machines")
    return parser


def _application_id(text: str) -> int:
    if not text.strip().isdigit() or not 0 < int(text) < 1 << 64:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an application id (a number such as 123456789012345678)"
        )
    return int(text)


def _invite(settings: Settings, application_id: int | None) -> int:
    """Print the invite link for the features the config enables (no connection needed)."""
    if application_id is None:
        token = os.environ.get("DISCORD_TOKEN", "").strip()
        if not token:
            print(NO_APPLICATION_ID, file=sys.stderr)
            return 2
        application_id = application_id_from_token(token)
        if application_id is None:
            print(TOKEN_WITHOUT_ID, file=sys.stderr)
            return 2
    needs = needed(settings.discord.role_subscriptions)
    url = invite_url(application_id, permission_value(needs))
    print(invite_lines(url, [(need.name, need.why) for need in needs]))
    return 0


def _query(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError(EMPTY_QUERY)
    return text


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2) if args.json else text)


def _newsletter(settings: Settings, newsletter: str | None) -> str | None:
    """``--newsletter``'s id, checked against the config (``UnknownNewsletter`` if unknown)."""
    names = {served.id: served.name for served in settings.served}
    if newsletter is None or newsletter in names:
        return newsletter
    raise UnknownNewsletter(unknown_newsletter_message(newsletter, names))


def _check(settings: Settings, folder: Path | None, newsletter: str | None) -> int:
    """A dry run of the bot's own load over each newsletter's folder (or ``folder``)."""
    chosen = (
        [settings.served_newsletter(newsletter, folder)]
        if folder or newsletter
        else list(settings.served)
    )
    code = 0
    for served in chosen:
        if len(chosen) > 1:
            print(f"== {served.name} ({served.id}): {served.folder}")
        code = max(code, _check_one(served))
    return code


def _check_one(newsletter: Newsletter) -> int:
    result = dry_run(newsletter)
    issues, problems = result.issues, result.problems
    if not issues:  # each problem is one line: an empty folder's is the only one
        for problem in problems:
            print(problem)
        return 1
    print(f"{'issue':>5}  {'date':<8}  {'resources':>9}  title")
    for issue in issues:
        date = (issue.date or "unknown") + ("*" if issue.date_inferred else "")
        print(f"{issue.number:>5}  {date:<8}  {len(issue.resources):>9}  {issue.title}")
    if any(issue.date_inferred for issue in issues):
        print("(* date inferred from the issue numbering)")
    for problem in problems:
        print(problem)
    errors = sum(problem.fatal for problem in problems)
    print(f"{len(issues)} issues, {sum(len(i.resources) for i in issues)} resources, "
          f"{errors} error{'s' if errors != 1 else ''}")  # fmt: skip
    return 1 if errors else 0


def _inspect(settings: Settings, path: Path, newsletter: str | None, as_json: bool) -> int:
    """``inspect``: read one file (alone) or a folder (whole), as a load reads it, and show how
    it was read."""
    if not path.exists():
        print(not_found(path), file=sys.stderr)
        return 1
    if path.is_dir():
        result = dry_run(settings.served_newsletter(newsletter, path))
    else:
        with tempfile.TemporaryDirectory(prefix="inspect-") as scratch:
            shutil.copy2(path, scratch)
            read_as = settings.served_newsletter(newsletter, path.parent)
            result = dry_run(replace(read_as, folder=Path(scratch)))
    if not result.issues:
        print(nothing_read(path, result.problems, check=False), file=sys.stderr)
        return 1
    if as_json:
        print(
            json.dumps(inspect_json(result.issues, result.problems), ensure_ascii=False, indent=2)
        )
    else:
        print(inspect_text(result.issues, result.problems))
    return 0


@asynccontextmanager
async def _service(
    settings: Settings, folder: Path | None, newsletter: str | None
) -> AsyncIterator[ArchiveService]:
    """The archive loaded from the configured folders into the bot's database, or from
    ``folder`` (as ``newsletter``, default the first) into a throwaway one."""
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "archive.sqlite3" if folder else None
        service, summary = await ArchiveService.from_settings(
            settings, folder=folder, database=database, newsletter=newsletter if folder else None
        )
        try:
            if folder is not None and not await service.issues.numbers():
                raise ArchiveBotError(nothing_read(folder, list(summary.problems)))
            for problem in summary.problems:
                print(problem, file=sys.stderr)
            yield service
        finally:
            await service.close()


async def _console(args: argparse.Namespace, settings: Settings) -> int:
    letter = _newsletter(settings, args.newsletter)
    async with _service(settings, args.content, letter) as service:
        names = service.names if len(service.names) > 1 else None
        if args.command == "latest" and names and letter is None:
            issues = await service.issues.latest_of_each()
            _emit(args, [issue_json(i) for i in issues], card_text(latest_card(issues, names)))
        elif args.command in ("latest", "issue"):
            issue = (
                await service.issues.latest(letter)
                if args.command == "latest"
                else await service.issues.get(args.number, letter)
            )
            if issue is None:
                numbers = await service.issues.numbers(letter)
                print(missing_issue_message(args.number, numbers), file=sys.stderr)
                return 1
            _emit(args, issue_json(issue), card_text(issue_card(issue)))
        elif args.command == "search":
            limit = max(1, args.limit)
            filters = SearchFilters(args.issue, args.year, args.section)
            hits = await service.search.find(args.query, limit, letter, filters)
            suggestions = (
                []
                if hits or not filters.empty
                else await service.search.suggest(args.query, letter)
            )
            text = (
                card_text(search_card(args.query, hits, 0, limit, names, filters))
                if hits
                else no_results_message(args.query, suggestions, filters)
            )
            _emit(args, {"query": args.query, "results": [hit_json(h) for h in hits]}, text)
        else:
            pick = await service.picks.pick(CONSOLE_SCOPE, letter)
            if pick is None:
                print(NOTHING_IN_ARCHIVES, file=sys.stderr)
                return 1
            _emit(args, resource_json(pick), card_text(resource_card(pick)))
    return 0


async def _feeds(args: argparse.Namespace, settings: Settings) -> int:
    """``feeds``: the entries held for a moderator; ``feeds release|dismiss ID``: decide one
    (the running bot's next feed pass writes a released one)."""
    service = await ArchiveService.open(settings.database_path, list(settings.served))
    try:
        feeds = service.feeds
        if args.feeds_command is None:
            print(held_listing(await feeds.held()))
            return 0
        try:
            if args.feeds_command == "release":
                entry = await feeds.release(args.id)
                done = held_released
            else:
                entry = await feeds.dismiss(args.id)
                done = held_dismissed
        except ValueError as taken:
            held = next(e for e in await feeds.held() if e.id == args.id)
            print(held_number_taken(held, str(taken)), file=sys.stderr)
            return 1
        if entry is None:
            print(held_unknown(args.id), file=sys.stderr)
            return 1
        print(done(entry))
        return 0
    finally:
        await service.close()


def _add_newsletter(args: argparse.Namespace, settings: Settings) -> int:
    """``newsletter add``: show the proposal; write it on --yes or a "y" at the terminal."""
    proposal = propose(settings, args.folder, newsletter_id=args.id, name=args.name)
    entry, config = proposal.entry, settings.source
    served = proposal.newsletter
    cadence, patterns = entry.get("cadence"), len(entry.get("parser", {}).get("boilerplate", ()))
    print(proposal_text(served.folder, proposal.result.issues, proposal.result.problems,
                        name=served.name, name_from=proposal.name_from, cadence=cadence,
                        dated=proposal.dated, chrome=proposal.chrome, patterns=patterns,
                        entry=entry_yaml(entry), config=config))  # fmt: skip
    if not args.yes:
        if not sys.stdin.isatty():
            print(not_a_terminal(served.id), file=sys.stderr)
            return 1
        if input(question(config)).strip().lower() not in ("y", "yes"):
            print(declined(config))
            return 1
    _, converted = add_entry(config, entry)
    print(written(config, served.id, converted))
    return 0


class _Progress:
    """A pass's progress on stderr: one line redrawn on a terminal, a line every tenth
    elsewhere (a log keeps them readable)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._redraw = stream.isatty()
        self._shown = -1

    def __call__(self, done: int, total: int) -> None:
        if self._redraw:
            print(f"\r{progress_line(done, total)}", end="", file=self._stream, flush=True)
            self._shown = done
            return
        tenth = 10 * done // total
        if tenth != self._shown:
            self._shown = tenth
            print(progress_line(done, total), file=self._stream, flush=True)

    def close(self) -> None:
        if self._redraw and self._shown >= 0:  # end the redrawn line
            print(file=self._stream)


async def _links(args: argparse.Namespace, settings: Settings) -> int:
    """``links check``: one pass over the links that are due; ``links report``: each link's
    status, as counts and dead links, or JSON."""
    letter = _newsletter(settings, args.newsletter)
    async with _service(settings, None, letter) as service:
        if args.links_command == "check":
            progress = _Progress(sys.stderr)
            try:
                result = await service.links.check(letter, progress=progress)
            finally:
                progress.close()
            print(check_summary(result))
        else:
            report = await service.links.report(letter)
            _emit(args, report.to_json(), report_text(report))
    return 0


def _database(args: argparse.Namespace, settings: Settings) -> int:
    """``db check`` (exit 0 healthy, 3 damaged), ``db backup``, and, with the bot stopped,
    ``db restore`` and ``db recover``."""
    path = settings.database_path
    if args.db_command == "restore":
        if DatabaseLock(path).held_elsewhere():
            print(bot_running(path, "db restore"), file=sys.stderr)
            return 1
        print(restored_message(args.backup, path, restore_database(args.backup, path)))
        return 0
    if not path.is_file():
        print(no_database(path), file=sys.stderr)
        return 1
    if args.db_command == "backup":
        target: Path = args.target
        if target.exists() or not target.parent.is_dir():
            print(backup_refused(target), file=sys.stderr)
            return 1
        backup(path, target)
        report = check_database(target)
        print(backup_message(target, report))
        return 0 if report.healthy else DatabaseError.exit_code
    report = check_database(path, quick=args.db_command == "check" and args.quick)
    if args.db_command == "check":
        print(check_message(report), file=sys.stdout if report.healthy else sys.stderr)
        return 0 if report.healthy else DatabaseError.exit_code
    if DatabaseLock(path).held_elsewhere() or check_heartbeat(heartbeat_path(path)).healthy:
        print(bot_running(path, "db recover"), file=sys.stderr)
        return 1
    if report.healthy and not args.force:
        print(healthy_not_recovered(path), file=sys.stderr)
        return 1
    print(recovery_message(recover_database(path)))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run one command; every error meant for the user is one message and its exit code."""
    args = _parser().parse_args(argv)
    command = args.command or "run"
    try:
        settings = load_settings(args.config)
        if args.newsletter is not None and command in ("run", "sync", "status"):
            print(NEWSLETTER_NOT_HERE, file=sys.stderr)
            return 2
        if command == "status":
            health = check_heartbeat(heartbeat_path(settings.database_path))
            print(health.message, file=sys.stdout if health.healthy else sys.stderr)
            return 0 if health.healthy else 1
        if command == "invite":
            return _invite(settings, args.application_id)
        if command == "check":
            return _check(settings, args.content, _newsletter(settings, args.newsletter))
        if command == "inspect":
            letter = _newsletter(settings, args.newsletter)
            return _inspect(settings, args.path, letter, args.json)
        if command == "db":
            return _database(args, settings)
        if command == "feeds":
            return asyncio.run(_feeds(args, settings))
        if command == "newsletter":
            return _add_newsletter(args, settings)
        if command == "links":
            return asyncio.run(_links(args, settings))
        if command in ("run", "sync"):
            from bot.runner import run_bot  # imports discord.py only when the bot runs

            return run_bot(settings, sync_only=command == "sync")
        return asyncio.run(_console(args, settings))
    except ArchiveBotError as error:
        print(error, file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:  # the reader went away (`| head`): nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
