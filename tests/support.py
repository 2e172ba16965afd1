"""Helpers the tests share: an HTTP client, the CLI in a child process, free ports."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
from typing import Any

import requests

TEST_SECRET = "test-session-secret-" + "x" * 32
PASSWORD = "correct horse battery"


@dataclasses.dataclass(frozen=True)
class Client:
    """An HTTP client for one user of the running gateway."""

    base_url: str
    auth: tuple[str, str] | None

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("auth", self.auth)
        kwargs.setdefault("timeout", 30)
        return requests.request(method, self.base_url.rstrip("/") + path, **kwargs)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_cli(*args: str, env: dict[str, str] | None = None, input: str | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``mediavault-dav`` in a child process, as an operator would."""
    return subprocess.run(
        [sys.executable, "-m", "mediavault_dav", *args],
        env=env, input=input, capture_output=True, text=True, timeout=timeout, check=False,
    )


def clean_environment(**extra: str) -> dict[str, str]:
    """The current environment without any MediaVault or database settings."""
    prefixes = ("MEDIAVAULT_", "DB_", "SESSION_", "DATABASE_URL", "SECURE_COOKIES", "TEST_DATABASE_URL")
    env = {key: value for key, value in os.environ.items() if not key.startswith(prefixes)}
    env.update(extra)
    return env
