"""A throwaway PostgreSQL cluster for tests and benchmarks, from the machine's server binaries.

PostgreSQL refuses to run as root, and CI runs as root: then ``initdb`` and ``pg_ctl`` run as
the ``postgres`` system user (``runuser -u postgres -- …``) on a directory it owns. The cluster
listens on 127.0.0.1 and a free port, trusts local connections, and is removed on ``stop()``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries here (or they would not start)."""


def find_bindir() -> Path | None:
    """``PG_BINDIR``, else the newest Debian ``/usr/lib/postgresql/*/bin``, else ``PATH``."""
    explicit = os.environ.get("PG_BINDIR")
    if explicit:
        return Path(explicit)
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresCluster:
    def __init__(self, bindir: Path, base: Path, port: int, run_as: str | None) -> None:
        self.bindir = bindir
        self.base = base
        self.datadir = base / "data"
        self.port = port
        self.run_as = run_as

    @classmethod
    def start(cls, *, settings: dict[str, str] | None = None) -> PostgresCluster:
        bindir = find_bindir()
        if bindir is None or not (bindir / "initdb").exists():
            raise PostgresUnavailable(
                "PostgreSQL server binaries not found (install postgresql-15 or set PG_BINDIR)"
            )
        run_as = "postgres" if os.geteuid() == 0 else None
        base = Path(tempfile.mkdtemp(prefix="skolehylde-pg-"))
        base.chmod(0o755)
        cluster = cls(bindir, base, free_port(), run_as)
        cluster.datadir.mkdir()
        if run_as:
            shutil.chown(cluster.datadir, run_as, run_as)
        try:
            cluster._run(
                "initdb", "-D", str(cluster.datadir), "-U", "postgres", "-A", "trust",
                "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
            )  # fmt: skip
            options = {
                "listen_addresses": "127.0.0.1",
                "port": str(cluster.port),
                "unix_socket_directories": str(cluster.datadir),
                "fsync": "off",
                "synchronous_commit": "off",
                "full_page_writes": "off",
                "max_connections": "200",
            }
            options.update(settings or {})
            flags = " ".join(f"-c {key}={value}" for key, value in options.items())
            cluster._run(
                "pg_ctl", "-D", str(cluster.datadir), "-l", str(cluster.datadir / "server.log"),
                "-o", flags, "-w", "-t", "60", "start",
            )  # fmt: skip
        except (subprocess.CalledProcessError, OSError) as error:
            log = cluster.datadir / "server.log"
            detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            cluster.stop()
            raise PostgresUnavailable(f"PostgreSQL did not start: {error}\n{detail}") from error
        return cluster

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)

    def url(self, dbname: str = "postgres", *, driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{dbname}"

    def execute(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE need that)."""
        with psycopg.connect(self.url(driver="postgresql"), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def stop(self) -> None:
        if (self.datadir / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)
