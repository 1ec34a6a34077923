"""The production image, read without a Docker engine: the essentials are there, and
the entry script migrates before it serves (and does not serve if migrating fails).
"""

import fnmatch
import json
import os
import shlex
import subprocess
from pathlib import Path

from server.settings import ROOT

ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    joined = text.replace("\\\n", " ")
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def test_the_image_runs_as_a_user_who_is_not_root():
    steps = instructions()
    users = [args for keyword, args in steps if keyword == "USER"]
    assert users, "the image never leaves root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    keywords = [keyword for keyword, _ in steps]
    assert keywords.index("USER") < keywords.index("ENTRYPOINT")


def test_the_image_is_slim_python_and_installs_no_dev_extras():
    steps = instructions()
    assert steps[0] == ("FROM", "python:3.11-slim")
    installs = [args for keyword, args in steps if keyword == "RUN" and "pip" in args]
    assert installs and all("[dev]" not in args for args in installs)


def test_the_healthcheck_asks_healthz():
    checks = [args for keyword, args in instructions() if keyword == "HEALTHCHECK"]
    assert len(checks) == 1 and "/healthz" in checks[0]


def test_every_copied_path_exists_and_is_not_ignored():
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for keyword, args in instructions():
        if keyword != "COPY":
            continue
        for source in shlex.split(args)[:-1]:
            assert (ROOT / source).exists(), source
            assert not any(fnmatch.fnmatch(source, pattern) for pattern in ignored)
    for private in (".git", ".venv", "var", "test-artifacts"):
        assert private in ignored


def test_the_entrypoint_is_the_script_that_migrates_then_serves():
    entry = [args for keyword, args in instructions() if keyword == "ENTRYPOINT"]
    assert json.loads(entry[-1]) == ["/usr/local/bin/entrypoint.sh"]
    copies = [args for keyword, args in instructions() if keyword == "COPY"]
    assert "docker/entrypoint.sh /usr/local/bin/entrypoint.sh" in copies


def run_entrypoint(tmp_path: Path, migrate_exit: int) -> list[str]:
    """Run the entry script with a stand-in `python` that records its arguments."""
    log = tmp_path / "calls.log"
    fake = tmp_path / "python"
    fake.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {log}\n'
        f'[ "$3" = migrate ] && exit {migrate_exit}\n'
        "exit 0\n"
    )
    fake.chmod(0o755)
    env = {"PATH": f"{tmp_path}:{os.environ['PATH']}", "PORT": "8123"}
    subprocess.run(["sh", str(ENTRYPOINT)], env=env, check=False, timeout=10)
    return log.read_text().splitlines() if log.exists() else []


def test_the_entry_script_migrates_before_serving_on_all_addresses(tmp_path):
    calls = run_entrypoint(tmp_path, migrate_exit=0)
    assert calls[0] == "-m server migrate"
    assert calls[1].startswith("-m server serve --host 0.0.0.0 --port 8123 --workers")
    assert len(calls) == 2


def test_a_failed_migration_stops_the_container(tmp_path):
    assert run_entrypoint(tmp_path, migrate_exit=1) == ["-m server migrate"]
