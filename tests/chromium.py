"""Headless Chromium, driven over the DevTools protocol on a pipe: no driver, no extra package.

``--remote-debugging-pipe`` makes Chromium read protocol commands from file
descriptor 3 and write answers and events to descriptor 4, as NUL-terminated
JSON — what Puppeteer and Playwright use under the hood. That is a few dozen lines of
standard library here, against a pinned browser driver or a Node.js toolchain.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import subprocess
import threading
from pathlib import Path
from typing import Any

# The flags the project settled on for Chromium as root in a closed network.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--mute-audio", "--autoplay-policy=no-user-gesture-required", "--hide-scrollbars",
         "--remote-debugging-pipe")


class DevToolsError(Exception):
    pass


class Chromium:
    def __init__(self, binary: str, profile: Path) -> None:
        commands_read, self._commands = os.pipe()
        self._answers, answers_write = os.pipe()

        def wire_pipes() -> None:  # in the child: fd 3 = commands in, fd 4 = answers out
            high_read = fcntl.fcntl(commands_read, fcntl.F_DUPFD, 10)  # out of the way of 3 and 4 first
            high_write = fcntl.fcntl(answers_write, fcntl.F_DUPFD, 10)
            os.dup2(high_read, 3)
            os.dup2(high_write, 4)

        profile.mkdir(parents=True, exist_ok=True)
        self.log = profile.parent / "chromium.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                pass_fds=(3, 4), preexec_fn=wire_pipes,  # noqa: PLW1509
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        os.close(commands_read)
        os.close(answers_write)
        self._next_id = 0
        self._answered: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        while True:
            data = os.read(self._answers, 1 << 20)
            if not data:
                os.close(self._answers)
                break
            buffer += data
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                with self._changed:
                    if "id" in message:
                        self._answered[message["id"]] = message
                    else:
                        self.events.append(message)
                    self._changed.notify_all()

    def send(self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None,
             timeout: float = 30) -> dict[str, Any]:
        with self._changed:
            self._next_id += 1
            number = self._next_id
        message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        with self._changed:
            if not self._changed.wait_for(lambda: number in self._answered, timeout):
                raise DevToolsError(f"{method}: no answer within {timeout} s")
            answer = self._answered.pop(number)
        if "error" in answer:
            raise DevToolsError(f"{method}: {answer['error']}")
        return answer.get("result", {})

    def wait_for(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        """The first event ``method`` whose params include ``params``."""
        def found() -> dict[str, Any] | None:
            for event in self.events:
                if event["method"] == method and all(event["params"].get(k) == v for k, v in params.items()):
                    return event
            return None

        with self._changed:
            if not self._changed.wait_for(lambda: found() is not None, timeout):
                raise DevToolsError(f"no {method} {params} within {timeout} s")
            return found()  # type: ignore[return-value]

    def open_page(self, width: int = 1200, height: int = 900) -> str:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page.enable", "Runtime.enable", "Network.enable", "Log.enable"):
            self.send(domain, session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=session)
        return session

    def navigate(self, session: str, url: str, timeout: float = 30) -> None:
        self.events.clear()
        frame = self.send("Page.navigate", {"url": url}, session=session)
        if frame.get("errorText"):
            raise DevToolsError(f"navigation failed: {frame['errorText']}")
        self.wait_for("Page.loadEventFired", timeout)

    def evaluate(self, session: str, expression: str, timeout: float = 30) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                "returnByValue": True}, session=session, timeout=timeout)
        if "exceptionDetails" in result:
            raise DevToolsError(json.dumps(result["exceptionDetails"])[:2000])
        return result["result"].get("value")

    def screenshot(self, session: str, path: Path) -> None:
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True},
                         session=session)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except (DevToolsError, OSError):
            pass
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        os.close(self._commands)
