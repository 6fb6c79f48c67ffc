"""Log formats: every record one line, parseable as JSON or logfmt; library chatter held back."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from dcmon.app.cli.logs import LogfmtFormatter, setup_logging


@pytest.fixture()
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in handlers:
        root.addHandler(h)
    root.setLevel(level)


def _record(msg: str, *args: object, exc: bool = False) -> logging.LogRecord:
    info = None
    if exc:
        try:
            raise ValueError("bad value")
        except ValueError:
            info = sys.exc_info()
    return logging.LogRecord("dcmon.test", logging.WARNING, __file__, 1, msg, args, info)


LOGFMT = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


def test_logfmt_quotes_what_needs_quoting() -> None:
    line = LogfmtFormatter().format(_record('device %s is down: %s', "pdu-1",
                                            'timeout "x"=y\nnext', exc=True))
    assert "\n" not in line
    fields = dict(LOGFMT.findall(line))
    assert fields["level"] == "warning" and fields["logger"] == "dcmon.test"
    assert fields["msg"] == r'"device pdu-1 is down: timeout \"x\"=y\nnext"'
    assert fields["exc"].startswith('"Traceback') and "ValueError: bad value" in fields["exc"]


def test_json_lines_from_a_real_command() -> None:
    """``dcmon --log-format json`` with a library logging at INFO and dcmon at WARNING."""
    code = ("import logging\n"
            "from dcmon.app.cli import main\n"
            "import sys\n"
            "sys.argv = ['dcmon', '--log-format', 'json', '--log-level', 'info', 'profiles', "
            "'list']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "logging.getLogger('pymodbus.logging').info('Server listening.')\n"
            "logging.getLogger('pymodbus.logging').info('Repeating....')\n"
            "logging.getLogger('dcmon.health').warning('device %s is down', 'a b')\n"
            "logging.getLogger('dcmon.health').info('second')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    lines = [json.loads(line) for line in out.stderr.splitlines()]
    assert [(r["level"], r["logger"], r["msg"]) for r in lines] == [
        ("warning", "dcmon.health", "device a b is down"), ("info", "dcmon.health", "second")]


def test_level_option_filters(restore_root: None, capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("warning", "logfmt")
    logging.getLogger("dcmon.x").info("hidden")
    logging.getLogger("dcmon.x").error("shown")
    err = capsys.readouterr().err
    assert "hidden" not in err and "msg=shown" in err
