"""Packaging: the constraints file, the systemd unit and the compose image tags.

constraints.txt pins every runtime dependency of pyproject.toml, inside pyproject's range;
config/systemd/dcmon.service starts, reloads and confines the service as docs/deployment.md
says; docker-compose.yml names one exact release per image, never ``latest``.
"""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import tomllib

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.support.paths import ROOT

UNIT = ROOT / "config" / "systemd" / "dcmon.service"


def _pins() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        assert sep and re.fullmatch(r"[A-Za-z0-9._-]+", name), f"not an exact pin: {line!r}"
        key = canonicalize_name(name)
        assert key not in pins, f"{name} pinned twice"
        pins[key] = Version(version)
    return pins


def test_every_runtime_dependency_is_pinned_within_its_range() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = _pins()
    for spec in project["dependencies"]:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not pinned in constraints.txt"
        assert req.specifier.contains(pins[name], prereleases=True), \
            f"constraints.txt pins {req.name}=={pins[name]}, outside pyproject's {req.specifier}"
    # The extras the runtime needs come along: pymodbus[serial] needs pyserial.
    assert "pyserial" in pins
    # Only the runtime closure: no test or lint tool in a production image.
    assert not {"pytest", "ruff", "mypy", "hypothesis", "schemathesis"} & set(pins)


def test_the_image_installs_with_the_constraints() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^RUN pip install -c constraints\.txt \.", text, re.M)
    assert re.search(r"^COPY [^\n]*\bconstraints\.txt\b", text, re.M)


def _unit() -> configparser.ConfigParser:
    # systemd units repeat keys in places and are case-sensitive: read them raw.
    unit = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(UNIT.read_text(encoding="utf-8"))
    return unit


def test_systemd_unit_runs_reloads_and_confines_dcmon() -> None:
    unit = _unit()
    svc = unit["Service"]
    start = svc["ExecStart"].split()
    assert start[0].endswith("/dcmon") and start[0].startswith("/")  # systemd wants a path
    assert start[1:] == ["run", "--config", "/etc/dcmon/site.yaml"]
    assert svc["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert svc["User"] == "dcmon"
    assert svc["StateDirectory"] == "dcmon"
    assert svc["ReadWritePaths"] == "/var/lib/dcmon"
    for key, want in {"NoNewPrivileges": "yes", "ProtectSystem": "strict",
                      "ProtectHome": "yes", "PrivateTmp": "yes"}.items():
        assert svc[key] == want, key
    assert svc["CapabilityBoundingSet"] == ""
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    assert "network-online.target" in unit["Unit"]["After"]


def test_systemd_accepts_the_unit() -> None:
    """systemd-analyze verify, where installed: only the binary's absence may be reported."""
    tool = shutil.which("systemd-analyze")
    if tool is None:
        return  # configparser has checked the keys above; nothing more to run here
    out = subprocess.run([tool, "verify", str(UNIT)], capture_output=True, text=True,
                         timeout=60)
    problems = [line for line in (out.stdout + out.stderr).splitlines()
                if line.strip() and "is not executable" not in line]
    assert problems == [], problems


def test_compose_images_are_pinned_releases() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    images = {name: s["image"] for name, s in compose["services"].items() if "image" in s}
    for name, image in images.items():
        if image == "dcmon:local":  # built from the Dockerfile here
            continue
        repo, _, tag = image.rpartition(":")
        assert repo and "@" not in tag, f"{name}: {image} has no tag"
        assert tag != "latest", f"{name}: {image}"
        # One release: major.minor.patch (a leading v allowed), not a moving major or minor.
        assert re.fullmatch(r"v?\d+\.\d+\.\d+", tag), f"{name}: {image} is not an exact release"
    assert {i.rpartition(":")[0] for i in images.values()} >= {
        "prom/prometheus", "prom/alertmanager", "grafana/grafana", "influxdb"}
