"""``dcmon demo`` keeps its stores in a temp folder and removes it on exit.

A real ``dcmon demo --duration 5`` subprocess with TMPDIR pointing at a test folder: the log
names the state folder, it is under TMPDIR while the demo runs, and it is gone after exit.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support.service_proc import free_port


def test_demo_removes_its_temp_folder(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = subprocess.run(
        [sys.executable, "-m", "dcmon", "demo", "--duration", "5",
         "--listen", f"127.0.0.1:{free_port()}", "--api-listen", f"127.0.0.1:{free_port()}"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "TMPDIR": str(tmp)})
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    found = re.search(r"demo state in (\S+) \(removed on exit\)", out.stdout + out.stderr)
    assert found is not None, out.stderr[-2000:]
    state = Path(found.group(1))
    assert state.parent == tmp and state.name.startswith("dcmon-demo-")
    assert not state.exists()
    assert list(tmp.iterdir()) == []  # nothing else left behind either
    assert "devices up" in out.stdout  # the demo did run and print its summary
