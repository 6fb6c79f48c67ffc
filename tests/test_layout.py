"""The layout docs/architecture.md draws, held by tests: one import name, one-way imports, no
import circles, no family of modules hiding behind a name prefix, small modules and functions."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

from tests.support import layout
from tests.support.paths import ROOT

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def test_the_wheel_installs_one_import_name(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path),
                    str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("dcmon-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names if not n.startswith("dcmon-")} == {"dcmon"}
    assert "dcmon/collectors/snmp/lean.py" in names
    assert "dcmon/exporters/prometheus/collector.py" in names
    assert "dcmon/collectors/profiles/apc_rpdu2.yaml" in names


def test_no_import_circles_counting_function_level_imports() -> None:
    g = layout.graph()
    assert len(g) > 100  # the links to collectors/ and exporters/ are followed
    assert layout.cycles(g) == []


def test_the_layers_contract_holds() -> None:
    tool = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run([str(tool)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "1 kept, 0 broken" in proc.stdout


def test_no_family_of_modules_behind_a_name_prefix() -> None:
    by_prefix: dict[tuple[Path, str], list[str]] = defaultdict(list)
    for m in layout.modules():
        stem = m.path.stem
        if "_" in stem.strip("_"):
            by_prefix[(m.path.parent, stem.split("_")[0])].append(stem)
    families = {f"{d.relative_to(ROOT)}/{p}_*": sorted(v) for (d, p), v in by_prefix.items()
                if len(v) > 1}
    assert families == {}


def test_modules_and_functions_stay_small() -> None:
    big = {str(m.path.relative_to(ROOT)): n for m in layout.modules()
           if (n := len(m.path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert big == {}
    assert dict(layout.long_functions(MAX_FUNCTION_LINES)) == {}


def test_only_the_collectors_name_a_protocol() -> None:
    branch = re.compile(r"""[!=]= ["'](snmp|modbus)["']""")
    hits = [f"{m.path.relative_to(ROOT)}:{i}" for m in layout.modules()
            if "collectors" not in m.path.relative_to(ROOT).parts[:1]
            and not m.name.startswith("dcmon.collectors")
            for i, line in enumerate(m.path.read_text(encoding="utf-8").splitlines(), 1)
            if branch.search(line)]
    assert hits == []
