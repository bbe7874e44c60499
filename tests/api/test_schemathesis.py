"""schemathesis against each service's own OpenAPI document, every check on (issues 13 and 15).

Each service runs under uvicorn on a fresh migrated database of its own and schemathesis (pinned in the dev
dependencies) drives it over HTTP as its CLI does, with every check: as an admin the examples, coverage (missing
headers, unsupported methods, boundary and negative values) and fuzzing phases, as a vendor agent fuzzing; a
bounded number of cases per operation and a fixed seed. It passes when no response is a 5xx and none contradicts
the document (status, content type, headers, schema), invalid input is refused and valid input accepted.

Expected statuses where schemathesis' defaults do not know the API's rules: valid-by-schema input may still meet
a domain rule (422: an unknown customer, a period too long), a stale or invented ETag (412) or a record it
conflicts with (409); a missing ``If-Match`` is a 428 (RFC 6585), not a 400.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from xml.etree import ElementTree

import pytest
import uvicorn
from fastapi import FastAPI

from o2c_cli.localstack import free_port
from o2c_cli.testing import Infra, bearer
from tests.api.conftest import SERVICES

SEED = 15013
TOKENS = {"admin": bearer("ada", "admin"), "vendor_agent": bearer("agent-a", "vendor_agent", team="vendor-a")}
# (phases, cases per operation): the admin reaches every operation's logic, so it runs every phase but the
# stateful one; the vendor agent's answers differ by permission and team only, which fuzzing covers.
RUNS = {"admin": ("examples,coverage,fuzzing", 4), "vendor_agent": ("fuzzing", 3)}
# kpi's reconciliation run reads invoicing and collections over HTTP, which this test does not run (502 here); a
# digest sent now needs a mail server, which it does not run either (502 mail-failed here); the browser's sign-in
# form posts answer 303 (post/redirect/get), which the positive-data check does not expect (test_signin.py).
EXCLUDED = {"kpi": r"^/reconciliation/runs$|^/digests/[^/]+/send$|^/sign(in|out)$"}
CONFIG = """
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "412", "413", "415", "422", "428", "429"]

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "412", "422", "428"]

[checks.missing_required_header]
expected-statuses = ["400", "401", "403", "406", "415", "422", "428"]
"""


@contextmanager
def uvicorn_serving(app: FastAPI) -> Iterator[str]:
    """``app`` under uvicorn (its own thread and event loop, lifespan on), at the URL yielded."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(600):
            if server.started or not thread.is_alive():
                break
            threading.Event().wait(0.05)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def schemathesis(url: str, *, who: str, workdir: Path, exclude: str | None = None) -> subprocess.CompletedProcess[str]:
    token, (phases, examples) = TOKENS[who], RUNS[who]
    config = workdir / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(config), "run",
        f"{url}/openapi.json", "--checks", "all", "--phases", phases,
        "--max-examples", str(examples), "--seed", str(SEED), "--workers", "1", "--no-shrink",
        "--suppress-health-check", "all", "--header", f"Authorization:{token['Authorization']}",
        "--report", "junit", "--report-dir", str(workdir), "--request-timeout", "30",
    ]
    if exclude:
        command += ["--exclude-path-regex", exclude]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=workdir)


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_schemathesis_finds_nothing(infra: Infra, tmp_path: Path, service: str) -> None:
    kind = SERVICES[service]
    async with kind.databases.database(infra) as db:
        settings = kind.settings(database_url=db.url, kafka_bootstrap_servers=infra.kafka_bootstrap,
                                 run_workers=False, log_json=False, log_level="WARNING", environment="test")
        app = kind.create_app(settings)
        with uvicorn_serving(app) as url:
            for who in TOKENS:
                workdir = tmp_path / who
                workdir.mkdir()
                result = await asyncio.to_thread(schemathesis, url, who=who, workdir=workdir,
                                                 exclude=EXCLUDED.get(service))
                assert result.returncode == 0, "\n".join(
                    [f"as {who}:", *findings(workdir), result.stdout[-4000:], result.stderr[-2000:]])


def findings(workdir: Path) -> list[str]:
    """Each failing operation and what schemathesis found there, from its JUnit report."""
    lines = []
    for report in workdir.glob("junit*.xml"):
        for case in ElementTree.parse(report).getroot().iter("testcase"):
            for found in [*case.findall("failure"), *case.findall("error")]:
                text = f"{found.get('message') or ''} {found.text or ''}".replace("\n", " | ")
                lines.append(f"{case.get('name')}: {text[:1500]}")
    return lines
