"""What station staff see of sync: open flags and gaps in devices' sequence numbers."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, literal, select
from sqlmodel import Session

from sync.models import Device, SyncFlag, SyncRecord


@dataclass(frozen=True)
class Gap:
    """Sequence numbers a device skipped: records it made that never arrived."""

    device_id: str
    first_missing: int
    last_missing: int
    last_seen_at: datetime

    @property
    def count(self) -> int:
        return self.last_missing - self.first_missing + 1


def open_flags(
    db: Session, station_id: int, number: int, size: int
) -> tuple[list[SyncFlag], int]:
    where = (SyncFlag.station_id == station_id, SyncFlag.resolved_at.is_(None))
    total = db.scalar(select(func.count()).select_from(SyncFlag).where(*where))
    query = (
        select(SyncFlag)
        .where(*where)
        .order_by(SyncFlag.created_at.desc(), SyncFlag.id.desc())
        .offset((number - 1) * size)
        .limit(size)
    )
    return list(db.scalars(query)), total or 0


def gaps(db: Session, station_id: int, number: int, size: int) -> tuple[list[Gap], int]:
    """Gaps of the station's devices, computed in SQL with a window function."""
    seqs = (
        select(
            SyncRecord.device_id.label("device_id"),
            SyncRecord.seq.label("seq"),
            func.lag(SyncRecord.seq, 1, literal(0))
            .over(partition_by=SyncRecord.device_id, order_by=SyncRecord.seq)
            .label("previous"),
        )
        .join(Device, Device.id == SyncRecord.device_id)
        .where(Device.station_id == station_id)
        .subquery()
    )
    found = (
        select(
            seqs.c.device_id,
            (seqs.c.previous + 1).label("first_missing"),
            (seqs.c.seq - 1).label("last_missing"),
            Device.last_seen_at,
        )
        .join(Device, Device.id == seqs.c.device_id)
        .where(seqs.c.seq - seqs.c.previous > 1)
    )
    total = db.scalar(select(func.count()).select_from(found.subquery()))
    rows = db.execute(
        found.order_by(Device.last_seen_at.desc(), seqs.c.device_id, seqs.c.seq)
        .offset((number - 1) * size)
        .limit(size)
    )
    return [Gap(*row) for row in rows], total or 0
