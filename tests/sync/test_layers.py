"""The sync rules import nothing from the web layer: `server/` mounts them."""

import subprocess
import sys

from server.settings import ROOT

MODULES = [
    "sync.reconcile",
    "sync.pull",
    "sync.review",
    "sync.visits",
    "sync.checkins",
    "sync.credit",
    "sync.labels",
]


def test_sync_imports_no_web_framework():
    code = (
        "import sys\n"
        f"for name in {MODULES!r}: __import__(name)\n"
        "web = [m for m in sys.modules if m.split('.')[0] == 'litestar'\n"
        "       or m in ('server.web', 'server.app', 'server.error_handlers')\n"
        "       or m.endswith('.controllers')]\n"
        "print(','.join(sorted(web)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
