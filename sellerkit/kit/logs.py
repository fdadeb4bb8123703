"""Log lines of sellerkit, the server (Granian) and `sellerkit worker`: text by default, one JSON
object a line with SELLERKIT_LOG_FORMAT=json (for a log collector). The access log
(`kit.http.AccessLog`) is written apart, JSON either way."""

from __future__ import annotations

import logging
import logging.config
import time
from typing import Any

import orjson

TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message"}`, and `exception` (the traceback) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(line, default=str).decode()


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` for the root logger (sellerkit's loggers, Huey's) and
    Granian's own, all in `log_format`. Also what `sellerkit serve` hands Granian as
    `log_dictconfig` (which replaces Granian's formatters, handlers and loggers whole)."""
    formatter = {"()": JsonFormatter} if log_format == "json" else {"format": TEXT}
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"sellerkit": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "sellerkit",
                                "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "_granian": {"handlers": ["stderr"], "level": level, "propagate": False},
            "granian.access": {"handlers": ["stderr"], "level": level, "propagate": False},
        },
    }


def setup_logging(log_format: str, level: str) -> None:
    logging.config.dictConfig(logging_config(log_format, level))
