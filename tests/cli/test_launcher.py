"""The local launcher (issue 15 items 4, 6 and 7): it restarts a process that dies and keeps the others, refuses a
bad setting before starting anything, and serves with a keep-alive longer than clients keep idle connections."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from subprocess import Popen
from typing import Any

import pytest

from o2c_cli.localstack import TansuBroker, free_port, wait_for_port
from o2c_cli.services import SERVICES, ServiceInfo
from o2c_cli.stack import uvicorn_command
from o2c_cli.supervise import Supervisor, Watched, settings_problems

ROOT = Path(__file__).resolve().parents[2]


class Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def print(self, *objects: Any) -> None:
        self.lines.append(" ".join(str(o) for o in objects))


def sleeper() -> Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"], start_new_session=True)


def test_a_process_that_dies_is_restarted_and_the_others_keep_running() -> None:
    procs = {name: sleeper() for name in ("invoicing", "collections", "broker")}
    started: list[str] = []

    def restart(name: str) -> None:
        procs[name] = sleeper()
        started.append(name)

    console = Lines()
    supervisor = Supervisor([Watched(n, lambda n=n: procs[n], lambda n=n: restart(n)) for n in list(procs)],
                            console, max_restarts=2)
    try:
        untouched = {n: procs[n].pid for n in ("invoicing", "broker")}
        procs["collections"].kill()
        procs["collections"].wait()
        assert supervisor.check() == ["collections"]
        assert procs["collections"].poll() is None  # running again
        assert {n: procs[n].pid for n in ("invoicing", "broker")} == untouched
        assert "collections exited with code -9; restarting it" in console.lines[-1]

        for _ in range(2):  # dies again and again: after max_restarts the launcher says so, keeps the rest
            procs["collections"].kill()
            procs["collections"].wait()
            supervisor.check()
        assert started == ["collections", "collections"]
        assert "not restarting it after 2 restarts" in console.lines[-1]
        assert supervisor.check() == []
        assert all(procs[n].poll() is None for n in ("invoicing", "broker"))
    finally:
        for proc in procs.values():
            proc.kill()
            proc.wait()


class EnvOnly:
    """The part of a Stack settings_problems reads: the environment each service is started with."""

    def __init__(self, **extra: str) -> None:
        self.extra = extra

    def service_env(self, service: ServiceInfo) -> dict[str, str]:
        return {**os.environ, f"{service.env_prefix}ENVIRONMENT": "dev", **self.extra}


def test_a_bad_setting_is_refused_before_anything_starts_in_words() -> None:
    assert settings_problems(EnvOnly()) == []
    problems = settings_problems(EnvOnly(INVOICING_STALLED_AFTER_DAYS="0", KPI_SLA_SWEEP_INTERVAL_S="-1"))
    assert any(p.startswith("invoicing: ") and "INVOICING_STALLED_AFTER_DAYS=0 is refused" in p for p in problems), \
        problems
    assert any(p.startswith("kpi: ") and "KPI_SLA_SWEEP_INTERVAL_S=-1.0 is refused" in p for p in problems), problems
    assert len(problems) == 2


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_refuses_zero_intervals_batches_and_days(name: str) -> None:
    import importlib

    from pydantic import ValidationError

    info = SERVICES[name]
    settings_cls = getattr(importlib.import_module(f"{info.package}.config"), f"{name.capitalize()}Settings")
    with pytest.raises(ValidationError, match="must be greater than 0"):
        settings_cls(consumer_max_attempts=0)
    with pytest.raises(ValidationError, match="must be greater than 0"):
        settings_cls(outbox_poll_interval_s=0)


def test_the_server_keeps_an_idle_connection_longer_than_http_clients_do() -> None:
    """httpx drops a pooled connection after 5 s idle; uvicorn's default also closes it after 5 s, so a request
    sent at that moment meets a closing socket (ReadError / RemoteProtocolError). The launcher's servers keep it
    open longer: the client always closes first."""
    port = free_port()
    server = subprocess.Popen(uvicorn_command("tests.cli.keepalive_app:create_app", host="127.0.0.1", port=port),
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_port("127.0.0.1", port, timeout=60, process=server)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            assert b"pong" in _get(conn, port)
            time.sleep(6)  # idle past httpx's keepalive_expiry and uvicorn's default keep-alive
            assert b"pong" in _get(conn, port), "the server closed the idle connection"
    finally:
        server.terminate()
        server.wait(20)


def _get(conn: socket.socket, port: int) -> bytes:
    conn.sendall(f"GET /ping HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    data = b""
    while b"pong" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_the_local_stack_makes_two_partitions_a_topic_and_long_polls_500_ms_when_idle(
        tmp_path: Path, own_broker: TansuBroker) -> None:
    """The local stack's Kafka settings (docs/performance.md, "Two partitions for the local stack"); the environment
    still sets the idle wait, and ``o2c dev --partitions`` the partitions."""
    import asyncio

    from aiokafka.admin import AIOKafkaAdminClient

    from o2c_cli.stack import Stack, StackConfig
    from o2c_common.events.base import TOPICS
    from o2c_common.settings import ServiceSettings

    def stack(**config: Any) -> Stack:
        return Stack(StackConfig(data_dir=tmp_path, external_pg_url="postgresql+asyncpg://u@h:1",
                                 external_kafka=own_broker.bootstrap_servers, **config))

    env = stack().service_env(SERVICES["invoicing"])
    assert (env["O2C_CONSUMER_IDLE_FETCH_MAX_WAIT_MS"], env["O2C_KAFKA_TOPIC_PARTITIONS"]) == ("500", "2")
    fields = ServiceSettings.model_fields  # elsewhere (a deployment's own broker) the settings' defaults hold
    assert (fields["consumer_idle_fetch_max_wait_ms"].default, fields["kafka_topic_partitions"].default) == (1000, 6)
    assert stack(topic_partitions=3).service_env(SERVICES["kpi"])["O2C_KAFKA_TOPIC_PARTITIONS"] == "3"
    stack().create_topics()

    async def partitions() -> dict[str, int]:
        admin = AIOKafkaAdminClient(bootstrap_servers=own_broker.bootstrap_servers)
        await admin.start()
        try:
            described = await admin.describe_topics(list(TOPICS.values()))
        finally:
            await admin.close()
        return {t["topic"]: len(t["partitions"]) for t in described}

    assert asyncio.run(partitions()) == {topic: 2 for topic in TOPICS.values()}
