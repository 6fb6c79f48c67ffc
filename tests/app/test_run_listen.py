"""``dcmon run`` when it cannot start: one line naming the fault, exit 1, no traceback.

The busy address is a real listening socket held by the test on 127.0.0.1; ``dcmon run`` is a
real process. ``check-config`` cannot know that a port will be busy, but it does know that
``state_dir`` is a file, so ``run`` refuses that before it starts anything; what only opening
the store reveals is one line as well.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dcmon.app.inventory import load_config
from dcmon.app.service import ListenError, start_service
from dcmon.collectors.registry import ProfileRegistry
from tests.support.paths import ROOT


@contextmanager
def busy_port() -> Iterator[int]:
    """A port on 127.0.0.1 with a listening socket on it for the duration."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "dcmon", "run", "--config", str(cfg), *args],
                          capture_output=True, text=True, timeout=60, env=env, cwd=cfg.parent)


def test_run_on_a_busy_metrics_port_says_so_in_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "site.yaml"
    with busy_port() as port:
        cfg.write_text(f"exporters: {{prometheus: {{listen: '127.0.0.1:{port}'}}}}\n"
                       "sites: []\n")
        proc = _run(cfg)
    assert proc.returncode == 1
    assert proc.stderr == f"cannot listen on 127.0.0.1:{port}: address in use\n"
    assert proc.stdout == ""


def test_run_listen_option_on_a_busy_port(tmp_path: Path) -> None:
    cfg = tmp_path / "site.yaml"
    cfg.write_text("sites: []\n")
    with busy_port() as port:
        proc = _run(cfg, "--listen", f"127.0.0.1:{port}")
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == f"cannot listen on 127.0.0.1:{port}: address in use\n"


def test_run_on_a_busy_api_port_says_so_in_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "site.yaml"
    with busy_port() as port:
        cfg.write_text("exporters: {prometheus: {listen: '127.0.0.1:0'}}\n"
                       f"api: {{listen: '127.0.0.1:{port}', status_page: public}}\n"
                       "sites: []\n")
        proc = _run(cfg)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == f"cannot listen on 127.0.0.1:{port}: address in use\n"


def test_run_refuses_a_state_dir_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("not a directory\n")
    cfg = tmp_path / "site.yaml"
    cfg.write_text("exporters: {prometheus: {listen: '127.0.0.1:0'}}\n"
                   "state_dir: state\n"
                   "sites: []\n")
    proc = _run(cfg)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == f"{cfg}: state_dir: state is a file, not a directory\n"


def test_run_says_when_it_cannot_open_its_store(tmp_path: Path) -> None:
    """What check-config cannot see (here: the database's name is taken by a directory)."""
    (tmp_path / "state" / "dcmon.sqlite").mkdir(parents=True)
    cfg = tmp_path / "site.yaml"
    cfg.write_text("exporters: {prometheus: {listen: '127.0.0.1:0'}}\n"
                   "state_dir: state\n"
                   "sites: []\n")
    proc = _run(cfg)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == (f"{cfg}: state_dir: cannot keep state in {tmp_path / 'state'}: "
                           "unable to open database file\n")


def test_a_busy_api_port_leaves_nothing_listening(tmp_path: Path) -> None:
    """The metrics listener, already bound when the API's bind fails, is closed again."""
    metrics = _free_port()
    cfg = tmp_path / "site.yaml"
    with busy_port() as port:
        cfg.write_text(f"exporters: {{prometheus: {{listen: '127.0.0.1:{metrics}'}}}}\n"
                       f"api: {{listen: '127.0.0.1:{port}', status_page: public}}\n"
                       "sites: []\n")
        config = load_config(cfg, ProfileRegistry.load())

        async def start() -> None:
            start_service(config, ProfileRegistry.load())

        with pytest.raises(ListenError, match=f"^cannot listen on 127.0.0.1:{port}: "
                                              "address in use$"):
            asyncio.run(start())
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", metrics))  # free again
