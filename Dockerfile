# The production image: one app process group per container, behind a reverse proxy,
# with PostgreSQL and Redis outside it. See README.md, "Production".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    APP_ENV=production \
    PORT=8000 \
    WEB_WORKERS=4

RUN groupadd --system app \
    && useradd --system --gid app --home-dir /app --no-create-home app

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY server ./server
COPY sync ./sync
COPY migrations ./migrations
COPY web ./web
COPY data ./data
COPY docker/entrypoint.sh /usr/local/bin/entrypoint.sh

# Editable, because the app finds its templates, migrations and data next to its
# code (server/settings.py ROOT); the code itself stays owned by root, read-only
# for the app user. No dev extras: no test tools or browser drivers in production.
RUN pip install --editable . \
    && chmod 0755 /usr/local/bin/entrypoint.sh \
    && mkdir -p /app/var \
    && chown app:app /app/var

USER app
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]

ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
