"""Fuzzing the inventory loader and ``check-config``: whatever the file holds, a Config or
problem lines naming the file, quickly; never a traceback.

Four kinds of input: random bytes; random YAML-ish text (brackets, anchors, quotes, tabs);
random documents built from the inventory's own key names (so they get past the YAML reader
into the schema); and a valid inventory with one subtree replaced by a random value (so they
reach the reference checks: topology, capacity, secrets, state_dir). Every example must
finish within the deadline: a hang or a quadratic corner fails the test as a traceback does.
"""

from __future__ import annotations

import copy
import datetime
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dcmon.app.cli import main
from dcmon.collectors.registry import ProfileRegistry
from dcmon.config import loader
from dcmon.config.resolved import Config
from dcmon.errors import ConfigError

REGISTRY = ProfileRegistry.load()
#: Per example; the loader takes a few ms on these inputs.
DEADLINE = datetime.timedelta(seconds=3)
#: A hard stop for a hang the deadline cannot see (it measures finished examples only).
HANG_S = 20
FUZZ = settings(max_examples=150, deadline=DEADLINE, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

KEYS = ["version", "poll", "interval", "timeout", "retries", "credentials", "community",
        "user", "auth_key", "sites", "id", "name", "rooms", "racks", "devices", "host", "port",
        "protocol", "profile", "credential", "unit", "parent", "feed", "energy", "facility",
        "it", "cooling", "zones", "policy", "class", "commissioned", "rated_kw", "feeds",
        "cooling_units", "exporters", "prometheus", "listen", "influx", "url", "token", "api",
        "tokens", "scope", "alerting", "receivers", "type", "routes", "capacity", "engine",
        "state_dir", "profile_dirs", "env", "file", "<<"]
WORDS = ["snmp", "modbus", "2c", "3", "auto", "ups_mib", "dc1", "ups1", "127.0.0.1", "A", "B",
         "new_large", "edge", "read", "30s", "6h", "", "-", "..", "/", "\x00"]

SCALARS = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(WORDS)
           | st.sampled_from(KEYS) | st.text(max_size=12) | st.dates())
DOCS = st.recursive(
    SCALARS,
    lambda inner: (st.lists(inner, max_size=4)
                   | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner,
                                     max_size=5)),
    max_leaves=25)
YAMLISH = st.text(alphabet=[*"[]{}:,-&*!|>?'\"#%@`\n\t .01aeEx~=<\\", "\u00e9", "\ufeff"],
                  max_size=300)

VALID: dict[str, Any] = {
    "credentials": {"ro": {"version": "2c", "community": "public"}},
    "poll": {"interval": 30, "timeout": 2},
    "sites": [{
        "id": "dc1",
        "energy": {"facility": ["meter1"], "it": ["ups1"]},
        "policy": {"class": "new_large", "commissioned": "2024-01-01"},
        "devices": [{"id": "meter1", "host": "127.0.0.1", "credential": "ro"}],
        "rooms": [{"id": "hall1", "cooling_kw": 100,
                   "racks": [{"id": "a01", "rated_kw": 5,
                              "devices": [{"id": "ups1", "host": "127.0.0.1",
                                           "credential": "ro", "parent": "meter1"}]}]}],
    }],
    "exporters": {"prometheus": {"listen": "127.0.0.1:9630"}},
    "state_dir": "state",
}


@contextmanager
def hard_timeout(seconds: int) -> Iterator[None]:
    """Fail (instead of hanging the suite) if the block outlasts ``seconds``."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"the loader hung for {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def load(path: Path) -> Config | None:
    """The loader: a Config, or None for a ConfigError whose problems are one line each."""
    with hard_timeout(HANG_S):
        try:
            return loader.load_config(path, lambda _dirs: REGISTRY)
        except ConfigError as exc:
            assert exc.problems
            for p in exc.problems:
                assert p.file == str(path)
                assert "\n" not in str(p), str(p)
            return None


def check_config(path: Path) -> None:
    """``dcmon check-config`` in-process: exit 0 or 1 with lines that name the file; never an
    exception (the whole command: the inventory's own profile_dirs, the summary it prints)."""
    with hard_timeout(HANG_S):
        res = CliRunner().invoke(main, ["check-config", str(path)])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert res.exit_code in (0, 1), res.output
    if res.exit_code == 1:
        lines = res.stdout.splitlines()
        assert lines and all(line.startswith(f"{path}: ") for line in lines), lines


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _write(folder: Path, data: bytes) -> Path:
    path = folder / "site.yaml"
    path.write_bytes(data)
    return path


@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes(folder: Path, data: bytes) -> None:
    check_config(_write(folder, data))


@FUZZ
@given(text=YAMLISH)
def test_random_yaml_text(folder: Path, text: str) -> None:
    check_config(_write(folder, text.encode()))


@FUZZ
@given(doc=DOCS)
def test_random_documents(folder: Path, doc: Any) -> None:
    path = _write(folder, yaml.safe_dump(doc, allow_unicode=True).encode())
    load(path)
    check_config(path)


def _mutate(data: st.DataObject) -> Any:
    """The valid inventory with one value, somewhere in it, replaced by a random one."""
    doc = copy.deepcopy(VALID)
    node: Any = doc
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            return doc
        key = data.draw(st.sampled_from(keys))
        child = node[key]
        if not isinstance(child, dict | list) or data.draw(st.booleans()):
            node[key] = data.draw(DOCS)
            return doc
        node = child


@FUZZ
@given(data=st.data())
def test_valid_inventory_with_one_value_replaced(folder: Path, data: st.DataObject) -> None:
    path = _write(folder, yaml.safe_dump(_mutate(data), allow_unicode=True).encode())
    load(path)
    check_config(path)


def test_the_unmutated_inventory_loads(folder: Path) -> None:
    """The mutation base is good, so a mutant's problems are the mutation's."""
    cfg = load(_write(folder, yaml.safe_dump(VALID).encode()))
    assert cfg is not None and [d.id for d in cfg.devices] == ["meter1", "ups1"]
