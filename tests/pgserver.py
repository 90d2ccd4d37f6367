"""A throwaway PostgreSQL cluster for the test run.

``ThrowawayPostgres`` runs ``initdb`` into a fresh temporary directory, starts the
server with ``pg_ctl`` on ``127.0.0.1`` and a free ephemeral port (trust auth on
loopback only, unix socket inside the temporary directory), creates the database
``teamaround_test`` and hands back an SQLAlchemy URL. ``stop()`` shuts the server
down with ``-m immediate`` and removes the directory.

When running as root, every PostgreSQL binary runs as the ``postgres`` OS user
(``initdb``/``pg_ctl`` refuse to run as root) and the temporary directory is
chowned to that user.

Developers with their own server can set ``TEAMAROUND_TEST_POSTGRES_URL``: then
``start()`` just returns that URL and ``stop()`` does nothing.

Binary lookup order: ``$TEAMAROUND_PG_BIN``, the directory of ``pg_ctl`` on
``PATH`` (symlinks resolved), the highest ``/usr/lib/postgresql/*/bin``.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Sequence
from types import TracebackType

__all__ = [
    "DATABASE_NAME",
    "ENV_BIN",
    "ENV_URL",
    "ThrowawayPostgres",
    "asyncpg_dsn",
    "find_pg_bin_dir",
]

ENV_URL = "TEAMAROUND_TEST_POSTGRES_URL"
ENV_BIN = "TEAMAROUND_PG_BIN"
DATABASE_NAME = "teamaround_test"
OS_USER = "postgres"
DB_USER = "postgres"
HOST = "127.0.0.1"

_REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")
_LOG_TAIL_LINES = 60
_START_ATTEMPTS = 3  # the ephemeral port can be taken between probing and binding

_SERVER_SETTINGS = {
    "listen_addresses": f"'{HOST}'",
    "max_connections": "50",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "32MB",
    "logging_collector": "off",
    "log_min_messages": "warning",
    "timezone": "'UTC'",
}

# Trust on loopback only; the unix socket lives in a private temp dir.
_PG_HBA = f"""\
# Written by tests/pgserver.py - throwaway test cluster, trust on loopback only.
local   all   all                  trust
host    all   all   {HOST}/32      trust
"""

# Variables that would make the client tools talk to some other server.
_SCRUBBED_ENV = (
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGDATABASE",
    "PGUSER",
    "PGPASSWORD",
    "PGPASSFILE",
    "PGSERVICE",
    "PGSERVICEFILE",
    "PGDATA",
    "PGOPTIONS",
    "PGSSLMODE",
    "PGCLUSTER",
)


def _has_binaries(directory: str) -> bool:
    return all(os.access(os.path.join(directory, name), os.X_OK) for name in _REQUIRED_BINARIES)


def _version_key(path: str) -> tuple[int, ...]:
    # /usr/lib/postgresql/<version>/bin
    version = os.path.basename(os.path.dirname(path))
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def find_pg_bin_dir() -> str | None:
    """Directory holding initdb, pg_ctl and postgres, or None if there is none."""
    override = os.environ.get(ENV_BIN)
    if override:
        return override if _has_binaries(override) else None
    on_path = shutil.which("pg_ctl")
    if on_path:
        for candidate in (os.path.realpath(on_path), on_path):
            directory = os.path.dirname(candidate)
            if _has_binaries(directory):
                return directory
    for directory in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True):
        if _has_binaries(directory):
            return directory
    return None


def asyncpg_dsn(url: str) -> str:
    """Turn an SQLAlchemy ``postgresql+asyncpg://`` URL into a plain libpq/asyncpg DSN."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"not a database URL: {url!r}")
    if scheme.split("+", 1)[0] not in ("postgresql", "postgres"):
        raise ValueError(f"not a PostgreSQL URL: {url!r}")
    return f"postgresql://{rest}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(path: str, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            content = fh.read().splitlines()
    except OSError as exc:
        return f"(no server log at {path}: {exc})"
    if not content:
        return f"(server log {path} is empty)"
    return "\n".join(content[-lines:])


class ThrowawayPostgres:
    """initdb into a fresh temp dir, pg_ctl start on 127.0.0.1 and a free ephemeral port,
    trust auth on loopback only, unix socket in the temp dir, create database
    ``teamaround_test``; stop -m immediate and remove the dir on close."""

    def __init__(self, *, bin_dir: str | None = None) -> None:
        self._bin_dir_arg = bin_dir
        self.bin_dir: str | None = None
        self.base_dir: str | None = None
        self.port: int | None = None
        self.url: str | None = None
        self._external = False
        self._running = False
        self._atexit_registered = False

    # -- paths -----------------------------------------------------------------

    @property
    def data_dir(self) -> str | None:
        return None if self.base_dir is None else os.path.join(self.base_dir, "data")

    @property
    def log_file(self) -> str | None:
        return None if self.base_dir is None else os.path.join(self.base_dir, "postgres.log")

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> str:
        """Start the cluster (once) and return its SQLAlchemy URL."""
        if self.url is not None:
            return self.url
        external = os.environ.get(ENV_URL)
        if external:
            self._external = True
            self.url = external
            return external

        bin_dir = self._bin_dir_arg or find_pg_bin_dir()
        if bin_dir is None or not _has_binaries(bin_dir):
            raise RuntimeError(
                "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: looked in "
                f"${ENV_BIN}, the directory of pg_ctl on PATH and /usr/lib/postgresql/*/bin"
                + (f" (given bin_dir={bin_dir!r})" if bin_dir else "")
                + f". Set {ENV_URL} to use an existing server instead."
            )
        self.bin_dir = bin_dir

        self._make_base_dir()
        if not self._atexit_registered:
            atexit.register(self.stop)
            self._atexit_registered = True
        try:
            self._initdb()
            self._start_server()
            self._create_database()
        except BaseException:
            self._cleanup()
            raise
        self.url = f"postgresql+asyncpg://{DB_USER}@{HOST}:{self.port}/{DATABASE_NAME}"
        return self.url

    def stop(self) -> None:
        """Stop the server (-m immediate) and remove the temp dir. Idempotent."""
        if self._external:
            self._external = False
            self.url = None
            return
        self._cleanup()
        self.url = None

    def __enter__(self) -> ThrowawayPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- steps -----------------------------------------------------------------

    def _make_base_dir(self) -> None:
        base = tempfile.mkdtemp(prefix="teamaround-pg-", dir=tempfile.gettempdir())
        self.base_dir = base
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam(OS_USER)
            except KeyError:
                self._cleanup()
                raise RuntimeError(
                    f"running as root but there is no {OS_USER!r} OS user to run "
                    "initdb/pg_ctl as (they refuse to run as root)"
                ) from None
            os.chown(base, user.pw_uid, user.pw_gid)
        os.chmod(base, 0o700)

    def _initdb(self) -> None:
        assert self.data_dir is not None
        self._run(
            [
                self._bin("initdb"),
                "--pgdata",
                self.data_dir,
                "--username",
                DB_USER,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C",
                "--no-sync",
            ],
            what="initdb",
            timeout=180,
        )
        settings = dict(_SERVER_SETTINGS)
        settings["unix_socket_directories"] = f"'{self.base_dir}'"
        with open(os.path.join(self.data_dir, "postgresql.conf"), "a", encoding="utf-8") as fh:
            fh.write("\n# Added by tests/pgserver.py (throwaway test cluster)\n")
            for key, value in settings.items():
                fh.write(f"{key} = {value}\n")
        with open(os.path.join(self.data_dir, "pg_hba.conf"), "w", encoding="utf-8") as fh:
            fh.write(_PG_HBA)

    def _start_server(self) -> None:
        assert self.data_dir is not None and self.log_file is not None
        last_error: RuntimeError | None = None
        for _ in range(_START_ATTEMPTS):
            port = _free_port()
            try:
                self._run(
                    [
                        self._bin("pg_ctl"),
                        "start",
                        "--wait",
                        "--timeout",
                        "60",
                        "--silent",
                        "--pgdata",
                        self.data_dir,
                        "--log",
                        self.log_file,
                        "-o",
                        f"-p {port}",
                    ],
                    what="pg_ctl start",
                    timeout=90,
                )
            except RuntimeError as exc:
                last_error = exc
                # Make sure nothing half-started lingers before retrying on another port.
                self._pg_ctl_stop()
                continue
            self.port = port
            self._running = True
            return
        assert last_error is not None
        raise last_error

    def _create_database(self) -> None:
        assert self.port is not None
        createdb = self._client_tool("createdb")
        if createdb is not None:
            argv = [
                createdb,
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--username",
                DB_USER,
                "--no-password",
                DATABASE_NAME,
            ]
        else:
            psql = self._client_tool("psql")
            if psql is None:
                raise RuntimeError("neither createdb nor psql found to create the test database")
            argv = [
                psql,
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--username",
                DB_USER,
                "--no-password",
                "--dbname",
                "postgres",
                "--set",
                "ON_ERROR_STOP=1",
                "--command",
                f'CREATE DATABASE "{DATABASE_NAME}"',
            ]
        self._run(argv, what=f"create database {DATABASE_NAME}", timeout=60)

    def _pg_ctl_stop(self) -> None:
        data_dir = self.data_dir
        if data_dir is None or self.bin_dir is None:
            return
        if not os.path.exists(os.path.join(data_dir, "postmaster.pid")):
            return
        with contextlib.suppress(RuntimeError, OSError):
            self._run(
                [
                    self._bin("pg_ctl"),
                    "stop",
                    "--mode",
                    "immediate",
                    "--wait",
                    "--timeout",
                    "30",
                    "--silent",
                    "--pgdata",
                    data_dir,
                ],
                what="pg_ctl stop",
                timeout=60,
            )

    def _cleanup(self) -> None:
        self._pg_ctl_stop()
        self._running = False
        self.port = None
        if self.base_dir is not None:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None

    # -- helpers ---------------------------------------------------------------

    def _bin(self, name: str) -> str:
        assert self.bin_dir is not None
        return os.path.join(self.bin_dir, name)

    def _client_tool(self, name: str) -> str | None:
        if self.bin_dir is not None:
            candidate = os.path.join(self.bin_dir, name)
            if os.access(candidate, os.X_OK):
                return candidate
        return shutil.which(name)

    def _run(self, argv: Sequence[str], *, what: str, timeout: float) -> None:
        """Run a PostgreSQL tool (as the postgres user when root); RuntimeError on failure."""
        cmd = list(argv)
        if os.geteuid() == 0:
            runuser = shutil.which("runuser") or "/usr/sbin/runuser"
            cmd = [runuser, "-u", OS_USER, "--", *cmd]
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
        env["LC_ALL"] = "C"
        env.pop("LANG", None)
        try:
            proc = subprocess.run(
                cmd,
                cwd=self.base_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RuntimeError(self._failure(what, cmd, f"{type(exc).__name__}: {exc}")) from exc
        if proc.returncode != 0:
            output = (proc.stdout + proc.stderr).strip() or "(no output)"
            raise RuntimeError(self._failure(what, cmd, f"exit status {proc.returncode}\n{output}"))

    def _failure(self, what: str, cmd: Sequence[str], detail: str) -> str:
        log = self.log_file
        log_part = (
            f"\n--- last {_LOG_TAIL_LINES} lines of server log {log} ---\n{_tail(log)}"
            if log is not None and os.path.exists(log)
            else "\n(no server log written yet)"
        )
        return (
            f"throwaway PostgreSQL: {what} failed\n"
            f"command: {' '.join(cmd)}\n"
            f"base dir: {self.base_dir}\n"
            f"{detail}{log_part}"
        )
