from sqlmodel import Field, SQLModel


class Division(SQLModel, table=True):
    """A county (县/区) or township (乡镇/街道) of the city, or the city itself."""

    code: str = Field(primary_key=True, max_length=12)
    name: str = Field(max_length=64)
    level: str = Field(max_length=8, index=True)  # city, county, township
    parent_code: str | None = Field(default=None, max_length=12, index=True)
