"""Command line: `python -m server <command>` (setup, migrate, divisions, demo,
close-checkouts, serve).
"""

import argparse
import sys
from pathlib import Path

from server.db import make_engine
from server.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations")
    commands.add_parser("divisions", help="load the city's counties and townships")
    commands.add_parser("demo", help="load made-up demo data (idempotent)")
    commands.add_parser("setup", help="migrate, load divisions, then demo data")
    close = commands.add_parser(
        "close-checkouts",
        help="close check-ins left open at ended activities (held for review)",
    )
    close.add_argument(
        "--all", action="store_true", help="look at all activities, not 30 days"
    )
    serve = commands.add_parser("serve", help="serve the app with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    if args.command == "serve":
        return _serve(settings, args)
    if settings.is_sqlite:
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    engine = make_engine(settings.database_url)
    if args.command == "close-checkouts":
        return _close_checkouts(engine, settings, everything=args.all)
    steps = {
        "migrate": [_migrate],
        "divisions": [_divisions],
        "demo": [_demo],
        "setup": [_migrate, _divisions, _demo],
    }[args.command]
    for step in steps:
        step(engine, settings)
    return 0


def _migrate(engine, settings: Settings) -> None:
    from server.migrate import upgrade

    with engine.begin() as connection:
        upgrade(connection)
    print("migrations applied")


def _divisions(engine, settings: Settings) -> None:
    from sqlmodel import Session

    from server.divisions.service import load_divisions

    with Session(engine) as db:
        added = load_divisions(db, Path(settings.divisions_csv), settings.city_code)
    print(f"divisions loaded: {added} new")


def _demo(engine, settings: Settings) -> None:
    from sqlmodel import Session

    from server.demo import load_demo

    with Session(engine) as db:
        created = load_demo(db, settings)
    print("demo data loaded" if created else "demo data already present")


def _close_checkouts(engine, settings: Settings, *, everything: bool) -> int:
    from sqlmodel import Session

    from server.activities.service import (
        FORGOTTEN_LOOKBACK,
        close_forgotten_checkouts,
    )
    from server.db import utcnow

    lookback = None if everything else FORGOTTEN_LOOKBACK
    with Session(engine) as db:
        closed = close_forgotten_checkouts(db, utcnow(), settings, lookback=lookback)
    print(f"forgotten check-outs closed: {closed}")
    return 0


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run(
        "server.asgi:app",
        host=args.host,
        port=args.port or settings.port,
        workers=args.workers,
        proxy_headers=True,
        # uvicorn's access log prints query strings, and check-in and card codes
        # travel in them; the app logs each request itself without the query.
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
