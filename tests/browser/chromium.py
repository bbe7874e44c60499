"""Headless Chromium (Debian's ``chromium``) driven over the DevTools protocol through a pipe
(``--remote-debugging-pipe``: JSON messages separated by NUL on file descriptors 3 and 4), so the browser tests need
no driver package and no network port. One browser serves many pages; each page gets its own tab."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EXECUTABLE = Path("/usr/bin/chromium")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--hide-scrollbars", "--remote-debugging-pipe")


@dataclass
class PageResult:
    """What a page did: console errors and uncaught exceptions, what the probe script returned, the screenshot."""

    errors: list[str]
    probe: Any
    png: bytes


@dataclass
class Chromium:
    process: subprocess.Popen[bytes]
    to_browser: Any
    from_browser: Any
    buffer: bytes = b""
    next_id: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def start(cls, user_data_dir: Path) -> Chromium:
        if not EXECUTABLE.exists():
            raise RuntimeError(f"{EXECUTABLE} is missing: `make browser` installs Debian's chromium")
        browser_reads, we_write = os.pipe()
        we_read, browser_writes = os.pipe()

        def pipes_on_3_and_4() -> None:  # in the child, before exec
            high_in, high_out = os.dup(browser_reads), os.dup(browser_writes)
            os.dup2(high_in, 3)
            os.dup2(high_out, 4)

        process = subprocess.Popen(
            [str(EXECUTABLE), *FLAGS, f"--user-data-dir={user_data_dir}", "about:blank"],
            pass_fds=(3, 4, browser_reads, browser_writes), preexec_fn=pipes_on_3_and_4,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(browser_reads)
        os.close(browser_writes)
        return cls(process, os.fdopen(we_write, "wb", buffering=0), os.fdopen(we_read, "rb", buffering=0))

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError):
            self.call("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.to_browser.close()
        self.from_browser.close()

    def _message(self) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            chunk = self.from_browser.read(65536)
            if not chunk:
                raise RuntimeError(f"chromium closed the pipe (exit code {self.process.poll()})")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None) -> Any:
        """Send one command and read until its answer; events read meanwhile are kept in ``events``."""
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        self.to_browser.write(json.dumps(message).encode() + b"\0")
        while True:
            answer = self._message()
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, method: str, *, session: str) -> dict[str, Any]:
        while True:
            for i, event in enumerate(self.events):
                if event.get("method") == method and event.get("sessionId") == session:
                    return self.events.pop(i)
            self.events.append(self._message())

    def open(self, url: str, *, probe: str, width: int = 1400) -> PageResult:
        """Load ``url`` in a new tab; after the load event run ``probe`` (a JavaScript expression whose value is
        returned) and take a full-page screenshot."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=session)
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": 900, "deviceScaleFactor": 1,
                                                         "mobile": False}, session=session)
        self.call("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", session=session)
        value = self.call("Runtime.evaluate", {"expression": probe, "returnByValue": True}, session=session)
        size = self.call("Page.getLayoutMetrics", session=session)["cssContentSize"]
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": int(size["height"]),
                                                         "deviceScaleFactor": 1, "mobile": False}, session=session)
        shot = self.call("Page.captureScreenshot", {"format": "png"}, session=session)
        self.call("Target.closeTarget", {"targetId": target})
        errors = [_error(e) for e in self.events if e.get("sessionId") == session and _is_error(e)]
        self.events = [e for e in self.events if e.get("sessionId") != session]
        return PageResult(errors=errors, probe=value.get("result", {}).get("value"),
                          png=base64.b64decode(shot["data"]))


def _is_error(event: dict[str, Any]) -> bool:
    method, params = event.get("method"), event.get("params", {})
    if method == "Runtime.exceptionThrown":
        return True
    if method == "Runtime.consoleAPICalled":
        return params.get("type") in ("error", "assert")
    return method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error"


def _error(event: dict[str, Any]) -> str:
    params = event.get("params", {})
    if "entry" in params:
        return f"{params['entry'].get('source')}: {params['entry'].get('text')}"
    if "exceptionDetails" in params:
        return str(params["exceptionDetails"].get("text"))
    return " ".join(str(a.get("value", a.get("description"))) for a in params.get("args", []))
