"""A copy of the app that the test can deploy again with a changed file, on the
same address, to see a phone move from one version of the offline pages to the
next. The shared live server cannot be used: its files are this checkout's.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from server.settings import ROOT

SKIPPED = shutil.ignore_patterns(
    ".git", ".venv", "test-artifacts", "var", "__pycache__", "*.db", "node_modules"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Deploy:
    """The app served from `root` (a copy of this checkout) on a fixed port."""

    root: Path
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.root / 'var' / 'app.db'}"

    def env(self) -> dict[str, str]:
        kept = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "PORT"}}
        return {
            **kept,
            "APP_ENV": "test",
            "DATABASE_URL": self.database_url,
            "LOG_FORMAT": "console",
            "PYTHONPATH": str(self.root),
        }

    def setup(self) -> None:
        shutil.copytree(ROOT, self.root, ignore=SKIPPED)
        (self.root / "var").mkdir(exist_ok=True)
        command = [sys.executable, "-m", "server", "setup"]
        subprocess.run(
            command, cwd=self.root, env=self.env(), check=True, capture_output=True
        )

    def start(self) -> None:
        output = self.log.open("a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--port", str(self.port)],
            cwd=self.root,
            env=self.env(),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the copy stopped; see {self.log}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        pytest.fail(f"the copy did not answer within 30 s; see {self.log}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def change(self, relative: str, added: str) -> None:
        """Edit a file of the copy, as a new release would."""
        path = self.root / relative
        path.write_text(path.read_text() + added)
