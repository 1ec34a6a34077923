"""Flags for the station's review: one per thing flagged, however often it recurs."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from sync.models import SyncFlag


def raise_flag(db: Session, *, key: str, kind: str, **fields) -> None:
    """Add the flag named `key` unless it exists; a race to add it is harmless."""
    if db.scalar(select(SyncFlag.id).where(SyncFlag.key == key)) is not None:
        return
    try:
        with db.begin_nested():
            db.add(SyncFlag(key=key[:120], kind=kind, **fields))
            db.flush()
    except IntegrityError:
        # Another connection added the same flag first: one flag is what we want.
        pass
