"""The real app in a subprocess, and Debian's Chromium driven by Playwright.

The server is started the way `make run` starts it (`python -m server setup`, then
`serve`) on a fresh SQLite file, so the browser tests walk the demo data on a real
uvicorn. Chromium gets a fake camera that plays a QR image; since that file is
fixed when the browser starts, each scan opens a new browser and carries the
cookies over.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest

from server.settings import ROOT
from tests.browser.camera import png_to_y4m
from tests.engines import missing

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "browser"
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


@dataclass(frozen=True)
class LiveServer:
    url: str
    database_url: str
    log: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_health(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server stopped; see {log}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"the server did not answer /healthz within 30 s; see {log}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    """The app on 127.0.0.1 and a free port, over a fresh SQLite file with the demo."""
    work = tmp_path_factory.mktemp("live")
    database_url = f"sqlite:///{work / 'app.db'}"
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "PORT"}},
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "LOG_FORMAT": "console",
    }
    # The log is written in this run's own folder (several runs may share the
    # tree) and copied next to the screenshots at the end.
    log = work / "server.log"
    python = [sys.executable, "-m", "server"]
    subprocess.run(
        [*python, "setup"], env=env, cwd=ROOT, check=True, capture_output=True
    )

    with log.open("w") as output:
        process = subprocess.Popen(
            [*python, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_for_health(url, process, log)
            yield LiveServer(url, database_url, log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log, ARTIFACTS / "server.log")


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    if not CHROMIUM.exists():
        missing(f"Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@dataclass
class Phone:
    """Browser sessions on a phone-sized screen, with screenshots for each step."""

    playwright: Any
    server: LiveServer
    artifacts: Path
    work: Path
    shots: int = field(default=0)
    cameras: int = field(default=0)

    @contextmanager
    def open(self, state: dict | None = None, camera: bytes | None = None):
        """A page in a new Chromium; `camera` is a PNG the fake camera shows."""
        args = list(CHROMIUM_ARGS)
        if camera is not None:
            self.cameras += 1
            video = png_to_y4m(camera, self.work / f"camera-{self.cameras}.y4m")
            args.append(f"--use-file-for-fake-video-capture={video}")
        browser = self.playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=args
        )
        try:
            context = browser.new_context(
                base_url=self.server.url,
                viewport=PHONE,
                has_touch=True,
                locale="zh-CN",
                storage_state=state,
            )
            context.set_default_timeout(15_000)
            yield context.new_page()
        finally:
            browser.close()

    def shot(self, page: Any, name: str) -> Path:
        self.shots += 1
        path = self.artifacts / f"{self.shots:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def login(self, page: Any, username: str, password: str) -> None:
        page.goto("/login")
        page.fill("#username", username)
        page.fill("#password", password)
        with page.expect_navigation():
            page.click("#login-submit")
        assert "/login" not in page.url, f"{username} could not log in"

    def fetch_png(self, page: Any, selector: str) -> bytes:
        """The image at `selector` as the app serves it, fetched with the cookies."""
        source = page.get_attribute(selector, "src")
        assert source, f"{selector} has no src"
        response = page.context.request.get(urljoin(page.url, source))
        assert response.ok and response.headers["content-type"] == "image/png"
        return response.body()


@pytest.fixture
def phone(playwright_instance, live_server, request, tmp_path) -> Phone:
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    artifacts = ARTIFACTS / name
    artifacts.mkdir(parents=True, exist_ok=True)
    for old in artifacts.glob("*.png"):
        old.unlink()
    return Phone(playwright_instance, live_server, artifacts, tmp_path)
