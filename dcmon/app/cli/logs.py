"""Log formats for every command: ``text`` for people, ``logfmt`` and ``json`` for collectors.

One line per record in every format (a traceback goes into the line as ``exc``), so Loki,
Elasticsearch or journald take each line as one event. Libraries that narrate their routine
(pymodbus' "Server listening.", "Repeating....", apscheduler's job runs, httpx's requests)
are held at WARNING: their news is not the operator's.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from typing import Literal

LogFormat = Literal["text", "logfmt", "json"]
FORMATS: tuple[LogFormat, ...] = ("text", "logfmt", "json")
LEVELS = ("debug", "info", "warning", "error")

#: Loggers of libraries that log routine work at INFO.
NOISY = ("apscheduler", "pysnmp", "asyncio", "pymodbus", "httpx", "httpcore", "urllib3",
         "uvicorn", "influxdb_client")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _when(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")


def _fields(record: logging.LogRecord, formatter: logging.Formatter) -> dict[str, str]:
    out = {"ts": _when(record), "level": record.levelname.lower(), "logger": record.name,
           "msg": record.getMessage()}
    if record.exc_info:
        out["exc"] = formatter.formatException(record.exc_info)
    return out


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg (and exc)."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record, self), ensure_ascii=False)


def _logfmt_value(value: str) -> str:
    if value and not any(c in value for c in ' "=\\\n\t'):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


class LogfmtFormatter(logging.Formatter):
    """``ts=... level=info logger=dcmon.health msg="device x is down: ..."``."""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{k}={_logfmt_value(v)}" for k, v in _fields(record, self).items())


def setup_logging(level: str = "info", fmt: LogFormat = "text") -> None:
    """Configure the root logger once for the process (replacing earlier handlers)."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    elif fmt == "logfmt":
        handler.setFormatter(LogfmtFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # "skipped: maximum number of running instances reached" is the no-overlap rule working
    # (a dead device's poll outlasting its interval); the health log already says it is down.
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
