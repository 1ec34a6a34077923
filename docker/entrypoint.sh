#!/bin/sh
# Container start: bring the schema up to date, then serve. A failed migration
# stops the container instead of serving on a schema the code does not expect.
set -eu

python -m server migrate
exec python -m server serve \
    --host 0.0.0.0 \
    --port "${PORT:-8000}" \
    --workers "${WEB_WORKERS:-4}"
