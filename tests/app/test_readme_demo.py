"""The README's first command, as a new user runs it: ``./scripts/demo.sh`` in a fresh clone.

A fresh clone has no ``.venv``: the script must create it, install dcmon and run the demo. (It
once skipped the install because ``python -c 'import dcmon'`` succeeds from the checkout's own
source tree, and then failed on the missing entry point.)
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.paths import ROOT


def test_demo_sh_in_a_fresh_clone(tmp_path: Path) -> None:
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the fresh-clone test needs `git clone`")
    clone = tmp_path / "dcmon"
    subprocess.run([git, "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    for rel in ("scripts/demo.sh",):  # test the working tree's script, committed or not
        shutil.copy(ROOT / rel, clone / rel)
    out = subprocess.run(["bash", "scripts/demo.sh", "--duration", "12", "--listen",
                          "127.0.0.1:0", "--api-listen", "127.0.0.1:0"], cwd=clone,
                         capture_output=True, text=True, timeout=600)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-3000:]
    assert (clone / ".venv/bin/dcmon").exists()
    assert "a simulated city of 4 sites" in text and "status page http://127.0.0.1:" in text
    assert "Municipal government cloud (new build)" in text and "PUE now 1.3" in text
    assert "Traceback" not in text
