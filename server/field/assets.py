"""What the service worker precaches, and the version that names its caches.

The version is a digest of the contents of every precached static file and of the
templates the offline pages are made from, so every app process of one deploy
computes the same version, and any change to them makes a new one. Asset URLs in
the offline pages carry it (`?v=`), so a page and its assets always come from one
version's caches.
"""

import hashlib
from functools import cache
from pathlib import Path

from server.settings import ROOT

WEB = ROOT / "web"
STATIC = WEB / "static"
TEMPLATES = WEB / "templates"

# Shared files the offline pages load, besides everything under field/ and icons/.
SHARED_STATIC = (
    "app.css",
    "app.js",
    "scanner.js",
    "vendor/htmx-2.0.11/htmx.min.js",
    "vendor/idb-8.0.4/umd.js",
    "vendor/jsqr-1.4.0/jsQR.js",
    "vendor/qrcode-generator-2.0.4/qrcode.js",
)
OWN_STATIC_FOLDERS = ("field", "icons")
# The layout the pages extend, and the catalogues their words come from.
SHARED_TEMPLATES = ("base.html",)
LOCALE = WEB / "locale"


def precached_static() -> list[str]:
    """Paths under /static that the service worker keeps, sorted."""
    own = [
        path.relative_to(STATIC).as_posix()
        for folder in OWN_STATIC_FOLDERS
        for path in (STATIC / folder).rglob("*")
        if path.is_file()
    ]
    return sorted({*SHARED_STATIC, *own})


def versioned_files() -> list[Path]:
    files = [STATIC / name for name in precached_static()]
    files += [TEMPLATES / name for name in SHARED_TEMPLATES]
    files += [p for p in (TEMPLATES / "field").rglob("*") if p.is_file()]
    if LOCALE.exists():
        files += [p for p in LOCALE.rglob("*") if p.suffix in {".po", ".mo"}]
    return sorted(files)


def digest(files: list[Path], root: Path = ROOT) -> str:
    """12 hex digits of SHA-256 over the files' paths (from `root`) and contents."""
    hashed = hashlib.sha256()
    for path in sorted(files):
        hashed.update(path.relative_to(root).as_posix().encode() + b"\0")
        hashed.update(path.read_bytes() + b"\0")
    return hashed.hexdigest()[:12]


@cache
def field_version() -> str:
    """The version of this deploy's offline pages; computed once per process."""
    return digest(versioned_files())
