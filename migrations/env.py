"""Alembic environment: the URL comes from the app's settings, or from the caller."""

from alembic import context

import server.models
from server.db import make_engine
from server.settings import Settings

target_metadata = server.models.metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return

    url = context.config.get_main_option("sqlalchemy.url") or (
        Settings.from_env().database_url
    )
    engine = make_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
