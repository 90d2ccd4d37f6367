"""`teamaround`: the command line (part of the composition root).

Every command imports what it needs when it runs (the database, the
features, the platforms), so that `teamaround --help` and a command's own
`--help` start at once; new commands follow the same pattern.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import getpass
import logging
import os
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from bot.errors import ConfigError, UserError

if TYPE_CHECKING:
    from bot.main import App
    from bot.settings import Settings

T = TypeVar("T")

cli = typer.Typer(
    help="Teamaround: every agreed action has an owner and a date.",
    no_args_is_help=True,
    add_completion=False,
    # Never print locals (they may hold tokens); main() prints a reference instead.
    pretty_exceptions_enable=False,
)
db_cli = typer.Typer(help="Database migrations.", no_args_is_help=True)
directory_cli = typer.Typer(help="The directory of professionals.", no_args_is_help=True)
export_cli = typer.Typer(help="Machine-readable exports.", no_args_is_help=True)
demo_cli = typer.Typer(help="A synthetic area to try Teamaround with.", no_args_is_help=True)
jobs_cli = typer.Typer(help="Run a scheduled job once, by hand.", no_args_is_help=True)
outbox_cli = typer.Typer(
    help="What is waiting to be delivered, and what failed.", no_args_is_help=True
)
register_cli = typer.Typer(help="The Dynamic Support Register's history.", no_args_is_help=True)
report_cli = typer.Typer(
    help="Reports for commissioners and boards (provisional – not NHSE-specified).",
    no_args_is_help=True,
)
records_cli = typer.Typer(
    help="Information governance: transfers, retention and erasure.", no_args_is_help=True
)
audit_cli = typer.Typer(help="The audit and access log, for an IG review.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(records_cli, name="records")
cli.add_typer(audit_cli, name="audit")
cli.add_typer(directory_cli, name="directory")
cli.add_typer(export_cli, name="export")
cli.add_typer(demo_cli, name="demo")
cli.add_typer(jobs_cli, name="jobs")
cli.add_typer(outbox_cli, name="outbox")
cli.add_typer(register_cli, name="register")
cli.add_typer(report_cli, name="report")

log = logging.getLogger("teamaround")


def _fail(message: str, code: int = 2) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _settings() -> Settings:
    from bot.settings import load_settings

    try:
        return load_settings()
    except ConfigError as exc:
        _fail(str(exc))
        raise  # pragma: no cover


def _app(**kwargs: Any) -> App:
    from bot.main import build

    try:
        return build(_settings(), **kwargs)
    except ConfigError as exc:
        _fail(str(exc))
        raise  # pragma: no cover


async def _ready(app: App) -> None:
    """SQLite files are migrated automatically; other databases must be upgraded."""
    from store import migrate

    if await migrate.at_head(app.settings.database_url):
        return
    if app.db.dialect == "sqlite":
        await migrate.upgrade_async(app.settings.database_url)
        return
    _fail("The database schema is not up to date: run `teamaround db upgrade` first.")


def _check_sqlite_folder(url: str) -> None:
    """A SQLite file in a folder that does not exist cannot be created: say so
    before any driver thread starts (aiosqlite's worker thread would otherwise
    race the closing event loop and print a traceback)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return
    if parsed.database == ":memory:":
        return
    folder = Path(parsed.database).expanduser().resolve().parent
    if not folder.is_dir():
        _fail_database(url, FileNotFoundError(f"the folder {folder} does not exist"))


def _run(factory: Callable[[App], Coroutine[Any, Any, T]], **kwargs: Any) -> T:
    from sqlalchemy.exc import DBAPIError

    app = _app(**kwargs)
    _check_sqlite_folder(app.settings.database_url)

    async def main() -> T:
        try:
            await _ready(app)
            return await factory(app)
        finally:
            await app.close()

    try:
        return asyncio.run(main())
    except UserError as exc:
        _fail(str(exc))
        raise  # pragma: no cover
    except BrokenPipeError:
        # The reader went away (`teamaround outbox list | head`): stop quietly,
        # as the Python documentation recommends for SIGPIPE.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(1) from None
    except (DBAPIError, OSError) as exc:
        _fail_database(app.settings.database_url, exc)
        raise  # pragma: no cover


def _fail_database(url: str, exc: Exception) -> None:
    from sqlalchemy.engine import make_url

    shown = make_url(url).render_as_string(hide_password=True)
    reason = getattr(exc, "orig", None) or exc
    _fail(f"I can't open the database in TEAMAROUND_DATABASE_URL ({shown}): {reason}")


def _write_out(text: str, out: Path | None) -> None:
    """An export to ``out``, or to standard output."""
    if out:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"Wrote {out}.")
    else:
        sys.stdout.write(text)


def _read_in_background(prompt: str) -> concurrent.futures.Future[str]:
    """``input(prompt)`` on a daemon thread (one that never holds up an exit)."""
    future: concurrent.futures.Future[str] = concurrent.futures.Future()

    def read() -> None:
        try:
            future.set_result(input(prompt))
        except BaseException as exc:  # EOFError (Ctrl-D) ends the session
            future.set_exception(exc)

    threading.Thread(target=read, name="console-input", daemon=True).start()
    return future


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user database in some containers
        return "cli:operator"


def _setup_logging(settings: Settings | None = None, level: int = logging.INFO) -> None:
    """Plain lines, or JSON with TEAMAROUND_LOG_FORMAT=json; secrets never shown."""
    from bot import logs

    fmt = settings.log_format if settings is not None else os.environ.get("TEAMAROUND_LOG_FORMAT")
    secrets = settings.secret_values() if settings is not None else []
    logs.setup(fmt="json" if fmt == "json" else "text", level=level, secrets=secrets)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 3000,
    no_scheduler: Annotated[
        bool, typer.Option("--no-scheduler", help="Do not run scheduled jobs here.")
    ] = False,
    no_relay: Annotated[
        bool, typer.Option("--no-relay", help="Do not deliver the outbox here.")
    ] = False,
) -> None:
    """Run the HTTP server (Slack and Teams when connected; /healthz, /readyz, /metrics).

    On SIGTERM it stops taking requests, finishes those in flight, hands its
    claimed outbox rows to the other replicas and exits within 10 s.
    """
    from sqlalchemy.exc import DBAPIError

    from bot.server import create_web_app
    from bot.server import serve as run_server

    _setup_logging(_settings())
    app = _app()
    if not (app.settings.slack_enabled or app.settings.teams_enabled) and "email" in app.gateways:
        typer.echo(
            "No Slack or Teams credentials are set: Teamaround reaches everyone by email and "
            "serves the one-action page (/a/…) and /healthz."
        )
    elif not (app.settings.slack_enabled or app.settings.teams_enabled):
        typer.echo(
            "No Slack or Teams credentials are set, so Teamaround is only serving /healthz: "
            "set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or MICROSOFT_APP_ID, "
            "MICROSOFT_APP_PASSWORD and MICROSOFT_APP_TENANT_ID) to connect, or try the bot "
            "now with `teamaround demo seed` then `teamaround console --as kim.lee@example.org`."
        )

    async def prepare() -> None:
        await _ready(app)

    try:
        asyncio.run(prepare())
    except (DBAPIError, OSError) as exc:
        _fail_database(app.settings.database_url, exc)
    web = create_web_app(app, run_relay=not no_relay, run_scheduler=not no_scheduler)
    run_server(web, host=host, port=port)


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    from sqlalchemy.exc import DBAPIError

    from store import migrate

    settings = _settings()
    try:
        migrate.upgrade(settings.database_url, revision)
    except (DBAPIError, OSError) as exc:
        _fail_database(settings.database_url, exc)
    typer.echo(f"Database is at revision {revision}.")


@db_cli.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()]) -> None:
    """Undo migrations down to REVISION ("base" removes every table)."""
    from sqlalchemy.exc import DBAPIError

    from store import migrate

    settings = _settings()
    try:
        migrate.downgrade(settings.database_url, revision)
    except (DBAPIError, OSError) as exc:
        _fail_database(settings.database_url, exc)
    typer.echo(f"Database is at revision {revision}.")


@cli.command()
def console(
    as_: Annotated[str, typer.Option("--as", help="Email of the person you act as.")],
    channel: Annotated[str, typer.Option(help="Space to start in.")] = "general",
    at: Annotated[
        str | None,
        typer.Option(
            help="Run as if the clock read this ISO-8601 instant (a time without an offset is "
            "London time); `:at ISO-8601` then moves it forward, running the scheduled jobs "
            "and deliveries in between at their times."
        ),
    ] = None,
) -> None:
    """Type slash commands as a person from the directory; replies and deliveries print here.

    Reads a script from standard input when it is not a terminal.
    """
    from integrations.sandbox.help import CONSOLE_HELP, prompt_for

    interactive = sys.stdin.isatty()
    first_line: concurrent.futures.Future[str] | None = None
    if interactive:
        # The prompt first: the database and the features load while the
        # first line is typed.
        typer.echo("Teamaround console. " + CONSOLE_HELP.splitlines()[0] + " (:help)")
        first_line = _read_in_background(prompt_for(as_, channel))

    from integrations.sandbox.console import ConsoleSession
    from integrations.sandbox.gateway import ConsoleGateway
    from integrations.sandbox.rehearsal import Rehearsal

    logging.basicConfig(level=logging.WARNING)
    gateway = ConsoleGateway(typer.echo)

    async def main(app: App) -> None:
        relay = app.relay(worker="console")
        session = ConsoleSession(
            dispatcher=app.dispatcher,
            relay=relay,
            write=typer.echo,
            actor_email=as_,
            channel=channel,
            script=not interactive,
            rehearsal=Rehearsal(
                clock=app.services.clock,
                calendar=app.services.calendar,
                jobs=app.scheduled_jobs(),
                relay=relay,
                outbox=app.outbox(),
                write=typer.echo,
            ),
        )
        pending = first_line
        while True:
            try:
                if pending is not None:
                    line = await asyncio.wrap_future(pending)
                    pending = None
                elif interactive:
                    line = await asyncio.to_thread(input, session.prompt)
                else:
                    line = sys.stdin.readline()
            except EOFError:
                break
            if not interactive and not line:
                break
            if not await session.run_line(line):
                break
        await session.finish()

    _run(main, gateways={"console": gateway}, **_frozen_at(at))


def _frozen_at(at: str | None) -> dict[str, Any]:
    """``build``'s clock for ``--at``: frozen at that instant (London time
    when no offset is given), or the system clock."""
    if not at:
        return {}
    try:
        instant = datetime.fromisoformat(at)
    except ValueError:
        _fail(f"--at {at!r} is not an ISO-8601 instant, e.g. 2026-12-14T09:30:00+00:00.")
        raise  # pragma: no cover
    if instant.tzinfo is None:
        from zoneinfo import ZoneInfo

        instant = instant.replace(tzinfo=ZoneInfo("Europe/London"))
    from bot.clock import FrozenClock

    return {"clock": FrozenClock(instant)}


@directory_cli.command("import")
def directory_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    check: Annotated[
        bool, typer.Option("--check", help="Check every row and report; write nothing.")
    ] = False,
    leavers: Annotated[
        bool,
        typer.Option(
            "--leavers",
            help="Mark as left the people of the file's agencies who are not in it (never "
            "deleted); each network's keyworker is asked to reassign their open actions.",
        ),
    ] = False,
) -> None:
    """Load professionals from a CSV: name,email,agency,role,line_manager_email.

    All or nothing: every problem is listed with its line number and then
    nothing is written. Line managers may come after the people they manage.
    UTF-8 (with or without a byte-order mark) and Excel's Windows-1252 are read.
    """
    from commands.csv_files import read_csv
    from commands.directory.service import ALIASES, import_csv

    async def main(app: App) -> None:
        table = read_csv(file.read_bytes(), aliases=ALIASES)
        async with app.db.transaction() as session:
            report = await import_csv(
                session,
                table=table,
                now=app.services.clock.now(),
                actor_label=_operator(),
                check=check,
                leavers=leavers,
                policy=app.policy,
                calendar=app.services.calendar,
            )
        _refuse_problems(report.problems, notes=report.notes, file=file)
        would = "Checked, nothing written: would add" if check else "Added"
        typer.echo(
            f"{would} {report.added}, updated {report.updated}, unchanged {report.unchanged}."
            if not check
            else f"{would} {report.added}, update {report.updated}, "
            f"leave {report.unchanged} unchanged."
        )
        for leaver in report.left:
            typer.echo(_leaver_line(leaver, check=check))

    _run(main)


def _refuse_problems(problems: list[str], *, notes: list[str], file: Path) -> None:
    """An import's notes; and, if it found problems, each with its line
    number, then exit 1 (nothing was written)."""
    for note in notes:
        typer.secho(note, fg=typer.colors.YELLOW, err=True)
    if not problems:
        return
    for problem in problems:
        typer.secho(f"  {problem}", fg=typer.colors.RED, err=True)
    many = len(problems) != 1
    typer.secho(
        f"Nothing was imported: {len(problems)} problem{'s' if many else ''} in {file.name}. "
        f"Fix {'them' if many else 'it'} and import the file again.",
        fg=typer.colors.RED,
        err=True,
    )
    raise typer.Exit(1)


def _leaver_line(leaver: Any, *, check: bool) -> str:
    verb = "would be marked as left" if check else "marked as left"
    line = f"{leaver.name} ({leaver.email}) {verb}"
    if leaver.networks:
        line += (
            f"; in {len(leaver.networks)} network{'s' if len(leaver.networks) != 1 else ''} "
            f"({', '.join(leaver.networks)}) with {leaver.open_actions} open action"
            f"{'s' if leaver.open_actions != 1 else ''}"
        )
        if leaver.told:
            line += f"; {'asking' if check else 'asked'} {', '.join(leaver.told)} to reassign them"
        if leaver.untold:
            line += (
                f"; nobody to ask about {', '.join(leaver.untold)} (no keyworker or DSR chair "
                "in the directory)"
            )
    return line + "."


@directory_cli.command("add")
def directory_add(
    email: str,
    name: Annotated[str, typer.Option(help="Full name.")],
    agency: Annotated[str, typer.Option(help="Agency, e.g. CAMHS.")],
    role: Annotated[str, typer.Option(help="Role, e.g. Social worker, Keyworker.")],
    manager: Annotated[str | None, typer.Option(help="Line manager's email.")] = None,
    grade: Annotated[
        str | None, typer.Option(help="Pay grade, e.g. 'Band 6' (the return's workforce table).")
    ] = None,
    part_time: Annotated[
        bool | None,
        typer.Option("--part-time/--full-time", help="Works part-time (or full-time)."),
    ] = None,
    reach: Annotated[
        str | None,
        typer.Option(
            help="How to reach them: chat (Slack or Teams; email when they have no account "
            "there) or email (always email)."
        ),
    ] = None,
) -> None:
    """Add (or update) one professional."""
    from commands.directory.service import upsert_person

    async def main(app: App) -> None:
        async with app.db.transaction() as session:
            outcome = await upsert_person(
                session,
                email=email,
                name=name,
                agency=agency,
                role=role,
                manager_email=manager,
                now=app.services.clock.now(),
                actor_label=_operator(),
                grade=grade,
                part_time=part_time,
                reach=reach,
            )
        typer.echo(f"{email.lower()}: {outcome}.")

    _run(main)


@register_cli.command("import")
def register_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    check: Annotated[
        bool, typer.Option("--check", help="Check every line and report; write nothing.")
    ] = False,
) -> None:
    """Bring the register's history in from a CSV, as if typed on those dates.

    Either dated events (reference,date,event,value,detail) or one row per
    person (reference,age_band,ehcp,consent_basis,consent_date,joined_on,
    rating,rated_on,rating_reason,keyworker_email,keyworker_since,admitted_on,
    setting,out_of_area). All or nothing; importing the same file again
    changes nothing. Into the policy's register.
    """
    from commands.csv_files import read_csv
    from commands.dsr.imports.service import import_history

    async def main(app: App) -> None:
        table = read_csv(file.read_bytes())
        async with app.db.transaction() as session:
            report = await import_history(
                session,
                table=table,
                now=app.services.clock.now(),
                calendar=app.services.calendar,
                policy=app.policy,
                actor_label=_operator(),
                check=check,
            )
        _refuse_problems(report.problems, notes=report.notes, file=file)
        lead = "Checked, nothing written: would apply" if check else "Applied"
        typer.echo(f"{lead} {report.summary()}")

    _run(main)


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"


@export_cli.command("actions")
def export_actions(
    format: Annotated[ExportFormat, typer.Option("--format")] = ExportFormat.json,
    out: Annotated[Path | None, typer.Option(help="Write to a file instead.")] = None,
) -> None:
    """Every action: id, network reference, text, owner, agency, due date, status, …"""
    from commands.action.export import export
    from store import audit

    async def main(app: App) -> str:
        async with app.db.transaction() as session:
            data = await export(session, fmt=format.value)
            audit.record(
                session,
                at=app.services.clock.now(),
                actor=None,
                actor_label=_operator(),
                verb="export.actions",
                object_type="export",
                object_id=format.value,
            )
        return data

    data = _run(main)
    _write_out(data, out)


@demo_cli.command("seed")
def demo_seed() -> None:
    """Load a small synthetic area: agencies, professionals, pseudonymous young people."""
    from commands.directory.demo import seed

    async def main(app: App) -> None:
        now = app.services.clock.now()
        async with app.db.transaction() as session:
            report = await seed(
                session,
                register_name=app.policy.register_name,
                now=now,
                consent_date=app.services.calendar.local_date(now),
            )
        typer.echo(
            f"Demo area ready in register '{report.register}': "
            f"{report.people_added} people and {report.young_people_added} young people "
            "added.\nTry: teamaround console --as kim.lee@example.org"
        )

    _run(main)


@jobs_cli.command("run")
def jobs_run(
    name: Annotated[
        str,
        typer.Argument(
            help="Job name: agenda, reminders, chase, purge, chat-copies, "
            "membership-review or relay."
        ),
    ],
    at: Annotated[
        str | None,
        typer.Option(help="Run as if the clock read this ISO-8601 instant (default: now)."),
    ] = None,
) -> None:
    """Run one scheduled job once."""
    kwargs = _frozen_at(at)
    jobs: dict[str, Callable[[App], Awaitable[str]]] = {
        "agenda": _job_agenda,
        "reminders": _job_reminders,
        "chase": _job_chase,
        "relay": _job_relay,
        "purge": _job_purge,
        "chat-copies": _job_chat_copies,
        "membership-review": _job_membership_review,
    }
    job = jobs.get(name)
    if job is None:
        _fail(f"No job called {name!r}. Jobs: {', '.join(jobs)}.")
    assert job is not None

    async def main(app: App) -> None:
        typer.echo(await job(app))

    _run(main, **kwargs)


async def _job_agenda(app: App) -> str:
    from commands.dsr.jobs import run_agenda

    return (await run_agenda(app.services, now=app.services.clock.now())).summary()


async def _job_reminders(app: App) -> str:
    from commands.action.jobs import run_reminders

    report = await run_reminders(app.services, now=app.services.clock.now())
    return report.summary()


async def _job_chase(app: App) -> str:
    from commands.action.jobs import run_chase

    report = await run_chase(app.services, now=app.services.clock.now())
    return "\n".join([report.summary(), *(f"  {line}" for line in report.details)])


async def _job_purge(app: App) -> str:
    from commands.records.jobs import run_purge

    return (await run_purge(app.services, now=app.services.clock.now())).summary()


async def _job_chat_copies(app: App) -> str:
    from commands.records.chat_copies import run_chat_copies

    return (await run_chat_copies(app.services, now=app.services.clock.now())).summary()


async def _job_membership_review(app: App) -> str:
    from commands.network.review import run_membership_review

    return (await run_membership_review(app.services, now=app.services.clock.now())).summary()


async def _job_relay(app: App) -> str:
    if not app.gateways:
        # Without a platform every row would be parked as undeliverable.
        raise UserError(
            "No Slack or Teams connection is configured, so there is nowhere to deliver to; "
            "nothing was changed."
        )
    report = await app.relay(worker="jobs-run").drain()
    return f"relay: sent {report.sent}, retrying {report.retried}, dead {report.dead}."


@export_cli.command("action")
def export_action(
    action_id: Annotated[int, typer.Argument(help="The action's number.")],
    out: Annotated[Path | None, typer.Option(help="Write to a file instead.")] = None,
) -> None:
    """One action's whole trail as plain text, for the case record."""
    from commands.action.export import action_record
    from store import audit

    async def main(app: App) -> str | None:
        async with app.db.transaction() as session:
            now = app.services.clock.now()
            text = await action_record(
                session,
                action_id=action_id,
                calendar=app.services.calendar,
                today=app.services.calendar.local_date(now),
            )
            if text is not None:
                audit.record(
                    session,
                    at=now,
                    actor=None,
                    actor_label=_operator(),
                    verb="export.action",
                    object_type="action",
                    object_id=action_id,
                )
        return text

    text = _run(main)
    if text is None:
        _fail(f"There is no action #{action_id}. `teamaround export actions` lists them all.")
        return
    _write_out(text, out)


class RecordFormat(StrEnum):
    md = "md"
    html = "html"


AsOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="The DSR chair or admin you act for (their email): checked against who may do "
        "this, and named in the audit and access log. Default: the operator.",
    ),
]


@export_cli.command("record")
def export_record(
    reference: Annotated[str, typer.Argument(help="The young person's reference, e.g. DSR-0042.")],
    format: Annotated[RecordFormat, typer.Option("--format")] = RecordFormat.md,
    out: Annotated[Path | None, typer.Option(help="Write to a file instead.")] = None,
    as_: AsOption = None,
) -> None:
    """One young person's whole case record, in date order: register events,
    network membership, reviews and recommendations, every action's trail.
    For the case-management system or a subject access request."""
    from commands.records.service import export_record as export

    async def main(app: App) -> str:
        async with app.db.transaction() as session:
            return await export(
                session,
                reference=reference,
                fmt=format.value,
                as_email=as_,
                operator_label=_operator(),
                policy=app.policy,
                calendar=app.services.calendar,
                now=app.services.clock.now(),
            )

    _write_out(_run(main), out)


@records_cli.command("transferred")
def records_transferred(
    reference: Annotated[str, typer.Argument(help="The young person's reference, e.g. DSR-0042.")],
    by: Annotated[str, typer.Option("--by", help="Email of who received the record.")],
    as_: AsOption = None,
) -> None:
    """Record that a young person's case record is now in the case-management
    system: once their network is closed, its chat copies are deleted after
    the policy's retention.chat_copies_days_after_transfer."""
    from commands.records.service import record_transferred

    async def main(app: App) -> tuple[str, bool]:
        async with app.db.transaction() as session:
            return await record_transferred(
                session,
                reference=reference,
                by=by,
                as_email=as_,
                operator_label=_operator(),
                policy=app.policy,
                now=app.services.clock.now(),
            )

    ref, new = _run(main)
    if new:
        typer.echo(f"Recorded: {ref}'s case record is transferred (received by {by.strip()}).")
    else:
        typer.echo(f"{ref}'s case record was already recorded as transferred; nothing changed.")


@records_cli.command("purge")
def records_purge(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what is past retention; erase nothing.")
    ] = False,
    as_: AsOption = None,
) -> None:
    """Erase the personal data of young people past the policy's retention
    (retention.years_after_leaving, until_age), keeping what reports count.
    Also run monthly by `serve` (the purge job)."""
    from bot.dates import format_numeric
    from commands.authority import Verb
    from commands.records import operator
    from commands.records.purge import Purged, purge

    async def main(app: App) -> list[Purged]:
        async with app.db.transaction() as session:
            who = await operator.caller(
                session,
                as_email=as_,
                operator=_operator(),
                policy=app.policy,
                verb=Verb.RECORDS_PURGE,
            )
        return await purge(
            app.db,
            policy=app.policy,
            calendar=app.services.calendar,
            now=app.services.clock.now(),
            dry_run=dry_run,
            actor=who.person,
            label=who.label,
        )

    found = _run(main)
    if not found:
        typer.echo("Nothing is past its retention.")
        return
    verb = "Would erase" if dry_run else "Erased"
    for item in found:
        left = format_numeric(item.left_on) if item.left_on else "?"
        kept = format_numeric(item.kept_until) if item.kept_until else "?"
        what = ", ".join(item.erasure.lines()) or "nothing personal left"
        typer.echo(f"{verb} {item.erasure.reference} (left {left}, kept until {kept}): {what}")
    if dry_run:
        typer.echo("Nothing was changed (--dry-run).")


@records_cli.command("erase")
def records_erase(
    reference: Annotated[str, typer.Argument(help="The young person's reference, e.g. DSR-0042.")],
    reason: Annotated[str, typer.Option("--reason", help="Why now (kept in the audit log).")],
    yes: Annotated[bool, typer.Option("--yes", help="Erase without asking.")] = False,
    as_: AsOption = None,
) -> None:
    """Erase one young person's personal data now (admins), after showing
    what will go. They must be off the register, their network closed."""
    from commands.records.erasure import Erasure
    from commands.records.purge import preview_or_erase

    def step(confirm: bool) -> Erasure:
        async def main(app: App) -> Erasure:
            return await preview_or_erase(
                app.db,
                reference=reference,
                reason=reason,
                as_email=as_,
                operator_label=_operator(),
                policy=app.policy,
                now=app.services.clock.now(),
                confirm=confirm,
            )

        return _run(main)

    preview = step(False)
    typer.echo(f"This erases from {preview.reference}'s records, for good:")
    for line in preview.lines() or ["nothing personal is left"]:
        typer.echo(f"  {line}")
    typer.echo("Dates, ratings, statuses, agencies and keyworkers stay, for the reports.")
    if not yes and not typer.confirm("Erase them now?", default=False):
        typer.echo("Nothing was erased.")
        return
    step(True)
    typer.echo(f"Erased. The audit log records that {preview.reference}'s records were erased.")


@audit_cli.command("export")
def audit_export(
    from_: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
    to: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (included).")],
    format: Annotated[ExportFormat, typer.Option("--format")] = ExportFormat.csv,
    out: Annotated[Path | None, typer.Option(help="Write to a file instead.")] = None,
    as_: AsOption = None,
) -> None:
    """The audit log and the access log (reads of a young person's data by
    people outside their network) for an IG review (admins)."""
    from datetime import date as date_type

    from commands.records.audit_export import export

    days = []
    for name, value in (("--from", from_), ("--to", to)):
        try:
            days.append(date_type.fromisoformat(value.strip()))
        except ValueError:
            _fail(f"{name} {value!r} is not a date; give it as YYYY-MM-DD, e.g. 2026-10-01.")
    start, end = days

    async def main(app: App) -> str:
        async with app.db.transaction() as session:
            return await export(
                session,
                start=start,
                end=end,
                fmt=format.value,
                as_email=as_,
                operator_label=_operator(),
                policy=app.policy,
                calendar=app.services.calendar,
                now=app.services.clock.now(),
            )

    _write_out(_run(main), out)


@export_cli.command("agenda")
def export_agenda(
    meeting: Annotated[
        str | None, typer.Argument(help="The meeting's date, YYYY-MM-DD (default: the latest).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write to a file instead.")] = None,
) -> None:
    """A DSR meeting's agenda as posted, with the outcomes recorded against
    it, as a Markdown document."""
    from datetime import date as date_type

    from commands.dsr.outcomes import agenda_record

    try:
        day = date_type.fromisoformat(meeting) if meeting else None
    except ValueError:
        _fail(f"{meeting!r} is not a date; give it as YYYY-MM-DD, e.g. 2026-11-23.")
        return

    async def main(app: App) -> str | None:
        async with app.db.reader() as session:
            return await agenda_record(session, meeting_on=day)

    text = _run(main)
    if text is None:
        _fail("No agenda has been posted for that meeting yet (`/dsr agenda post`).")
        return
    _write_out(text, out)


class ReportFormat(StrEnum):
    md = "md"
    csv = "csv"
    xlsx = "xlsx"
    html = "html"
    all = "all"


@report_cli.command("quarterly")
def report_quarterly(
    register: Annotated[
        str | None,
        typer.Option(help="The register's name (default: the policy's register)."),
    ] = None,
    quarter: Annotated[
        str | None,
        typer.Option(
            help="NHS financial-year quarter, named by the year it starts in: 2026-Q1 is "
            "Apr-Jun 2026, 2026-Q2 Jul-Sep, 2026-Q3 Oct-Dec 2026, 2026-Q4 Jan-Mar 2027 "
            "(2026/27-Q3 and 'Q3 2026/27' work too). Default: the last completed quarter."
        ),
    ] = None,
    format: Annotated[
        ReportFormat,
        typer.Option(
            "--format",
            help="md, csv, xlsx or html (the web page, with the pictures inside); "
            "all: every document and the pictures as PNG files.",
        ),
    ] = ReportFormat.all,
    out: Annotated[
        Path, typer.Option(help="Folder to write to (made if missing).", file_okay=False)
    ] = Path("."),
    notes: Annotated[
        Path | None,
        typer.Option(
            "--notes",
            help="The return's narrative, a YAML file: successes, developments, "
            "learning_and_challenges and the top three risks (teamaround report "
            "notes-template writes a starter file). Never a young person's name, NHS "
            "number or register reference.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """The quarterly keyworking report, laid out as NHS England's return.

    Rebuilt from the register's history (ratings, keyworkers, support,
    admissions, step-downs, actions), never from today's state: Table 1,
    section 2 (activity and workforce), section 3 (the narrative from
    --notes), then other figures. Files are named after the register and the
    quarter, e.g. default-register-keyworking-2026-27-q3.xlsx. Labelled
    provisional – not NHSE-specified.
    """
    from commands.context import policy_register
    from commands.report.documents import Format, documents
    from commands.report.notes import read_notes
    from commands.report.quarters import Quarter, parse_quarter
    from commands.report.service import quarterly
    from store import audit, queries
    from store.models import Register

    async def main(app: App) -> list[tuple[str, bytes]]:
        narrative = (
            read_notes(_read_text(notes), policy=app.policy, source=notes.name) if notes else None
        )
        today = app.services.today()
        chosen = parse_quarter(quarter, today=today) if quarter else Quarter.last_completed(today)
        async with app.db.transaction() as session:
            found = (
                await queries.register_by_name(session, name=register)
                if register
                else await policy_register(session, policy=app.policy, now=app.services.clock.now())
            )
            if found is None:
                from sqlalchemy import select

                names = list((await session.scalars(select(Register.name))).all())
                known = ", ".join(repr(n) for n in names) if names else "none yet"
                raise UserError(
                    f"There is no register called {register!r}. Registers here: {known}.\n"
                    + (
                        f"For example: teamaround report quarterly --register {names[0]!r}, or "
                        "leave --register out for the policy's register."
                        if names
                        else "Leave --register out for the policy's register."
                    )
                )
            report = await quarterly(
                session,
                register=found,
                quarter=chosen,
                today=today,
                calendar=app.services.calendar,
                policy=app.policy,
            )
            files = documents(report, Format(format.value), notes=narrative)
            audit.record(
                session,
                at=app.services.clock.now(),
                actor=None,
                actor_label=_operator(),
                verb="export.quarterly_report",
                object_type="register",
                object_id=found.id,
                after={
                    "quarter": chosen.code,
                    "files": [f.filename for f in files],
                    "notes": notes.name if notes else None,
                },
            )
        if report.in_progress:
            typer.secho(report.notes[0], fg=typer.colors.YELLOW, err=True)
        return [(f.filename, f.content) for f in files]

    files = _run(main)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for filename, content in files:
            (out / filename).write_bytes(content)
    except OSError as exc:
        _fail(f"I can't write to {out}: {exc.strerror or exc}.")
    typer.echo(f"Wrote {len(files)} file{'s' if len(files) != 1 else ''} to {out.resolve()}:")
    for filename, _ in files:
        typer.echo(f"  {out / filename}")


def _read_text(path: Path) -> str:
    """A text file the operator wrote (UTF-8, with or without a byte-order mark)."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise UserError(f"I can't read {path}: {exc.strerror or exc}.") from None
    except UnicodeDecodeError:
        raise UserError(f"{path} isn't UTF-8 text: save it as UTF-8 and try again.") from None


@report_cli.command("notes-template")
def report_notes_template(
    out: Annotated[
        Path | None,
        typer.Option(help="Write it to this file (default: print it).", dir_okay=False),
    ] = None,
) -> None:
    """A starter file for the return's narrative (--notes): every heading,
    with an example of each, commented out."""
    from commands.report.notes import TEMPLATE

    if out is None:
        sys.stdout.write(TEMPLATE)
        return
    if out.exists():
        _fail(f"{out} already exists; I haven't changed it. Choose another name with --out.")
    try:
        out.write_text(TEMPLATE, encoding="utf-8")
    except OSError as exc:
        _fail(f"I can't write {out}: {exc.strerror or exc}.")
    typer.echo(f"Wrote {out}. Fill it in, then: teamaround report quarterly --notes {out}")


class ManifestKind(StrEnum):
    slack = "slack"
    teams = "teams"


@cli.command()
def manifest(
    kind: Annotated[ManifestKind, typer.Argument(help="slack or teams")],
    out: Annotated[
        Path | None,
        typer.Option(
            help="Teams: where to write the app package (default ./teamaround-teams.zip)."
        ),
    ] = None,
) -> None:
    """Print the Slack app manifest for TEAMAROUND_PUBLIC_URL (Socket Mode when
    SLACK_APP_TOKEN is set), or write the Teams app package (needs MICROSOFT_APP_ID)."""
    settings = _settings()
    if kind is ManifestKind.teams:
        _teams_package(settings, out or Path("teamaround-teams.zip"))
        return
    from commands.catalogue import neutral
    from integrations.slack.manifest import slack_manifest_yaml

    try:
        text = slack_manifest_yaml(
            settings.public_url,
            commands=neutral(),
            socket_mode=settings.slack_app_token is not None,
        )
    except ValueError as exc:
        _fail(str(exc))
        raise  # pragma: no cover
    sys.stdout.write(text)


def _teams_package(settings: Settings, out: Path) -> None:
    from commands.catalogue import neutral
    from integrations.teams.manifest import build_package, manifest_id

    if not settings.microsoft_app_id:
        _fail(
            "Set MICROSOFT_APP_ID to your bot's Microsoft App ID (the Application (client) ID "
            "of the Entra app registration behind your Azure Bot), and TEAMAROUND_PUBLIC_URL "
            "to Teamaround's public https address, then run this again."
        )
        return
    try:
        package = build_package(
            app_id=settings.microsoft_app_id, public_url=settings.public_url, commands=neutral()
        )
        out.write_bytes(package)
    except ValueError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"I can't write the package to {out}: {exc.strerror or exc}")
    typer.echo(
        f"Wrote {out} (Teams app id {manifest_id(settings.microsoft_app_id)}). Upload it in "
        "the Teams admin centre, or in Teams: Apps, Manage your apps, Upload an app."
    )


@outbox_cli.command("list")
def outbox_list(
    status: Annotated[str | None, typer.Option(help="pending, sending, sent or dead.")] = None,
    limit: int = 50,
) -> None:
    """The newest outbox rows, with attempts and the last error."""
    from store import outbox

    async def main(app: App) -> None:
        async with app.db.reader() as session:
            rows = await outbox.list_rows(session, status=status, limit=limit)
        if not rows:
            typer.echo("Nothing in the outbox" + (f" with status {status}." if status else "."))
        for row in rows:
            error = f"  last error: {row.last_error}" if row.last_error else ""
            typer.echo(
                f"{row.id:>6} {row.status:<8} tries {row.attempts:<2} {row.op:<5} "
                f"{row.target_kind}:{row.target_id} {row.idempotency_key}{error}"
            )

    _run(main)


@outbox_cli.command("retry")
def outbox_retry(row_id: Annotated[int | None, typer.Argument()] = None) -> None:
    """Put dead rows (or one, by id) back in the queue."""
    from store import outbox

    async def main(app: App) -> None:
        async with app.db.transaction() as session:
            count = await outbox.retry_dead(session, now=app.services.clock.now(), row_id=row_id)
        typer.echo(f"{count} row(s) queued again.")

    _run(main)


def _quiet_thread_failure(args: threading.ExceptHookArgs) -> None:
    """A library's worker thread failing (for example aiosqlite's, while the
    program is already exiting with a clear message) is logged with a
    reference, never printed as a traceback."""
    from bot.dispatcher import new_reference

    reference = new_reference()
    log.debug(
        "background thread failed, reference %s",
        reference,
        exc_info=args.exc_value,
    )


def main() -> None:
    threading.excepthook = _quiet_thread_failure
    try:
        cli()
    except Exception:
        from bot.dispatcher import new_reference

        reference = new_reference()
        _setup_logging()
        log.exception("unexpected error, reference %s", reference, extra={"reference": reference})
        typer.secho(
            f"Sorry, something went wrong. The details are logged above with reference "
            f"{reference}.",
            fg=typer.colors.RED,
            err=True,
        )
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
