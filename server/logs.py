"""Structured logging: key=value events, JSON in production, readable in development.

Never log names, ID numbers, phone numbers or tokens; log ids and outcomes.
"""

import logging

import structlog

from server.settings import Settings


def configure_logging(settings: Settings) -> None:
    json_logs = settings.log_format == "json" or (
        not settings.log_format and settings.is_production
    )
    renderer = (
        structlog.processors.JSONRenderer()
        if json_logs
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        cache_logger_on_first_use=True,
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
