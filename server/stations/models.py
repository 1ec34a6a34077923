from sqlmodel import Field, SQLModel


class Community(SQLModel, table=True):
    """An urban community (社区) under a township."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    township_code: str = Field(foreign_key="division.code", max_length=12, index=True)


class Station(SQLModel, table=True):
    """A community volunteer service station: one per community."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    community_id: int = Field(foreign_key="community.id", unique=True)
    county_code: str = Field(foreign_key="division.code", max_length=12, index=True)
    township_code: str = Field(foreign_key="division.code", max_length=12, index=True)
