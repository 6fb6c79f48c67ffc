"""All device profiles by name, and the protocols that compile them.

Built-in profiles live in ``collectors/profiles/*.yaml``; ``profile_dirs`` in the inventory adds
more (a later file with the same profile name overrides a built-in one). Each file names its
``protocol:`` (default ``snmp``), and :data:`PROTOCOLS` maps that name to the protocol's own
compiler, so adding a protocol touches its folder and one line here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dcmon.collectors.modbus.model import CompiledModbusProfile
from dcmon.collectors.modbus.profile import compile_modbus_profile, describe_modbus
from dcmon.collectors.snmp.model import CompiledProfile
from dcmon.collectors.snmp.profile import compile_snmp_profile
from dcmon.collectors.snmp.profile_view import describe_snmp
from dcmon.config.yamlfile import load_yaml
from dcmon.errors import ConfigError, Problem

BUILTIN_DIR = Path(__file__).resolve().parent / "profiles"

#: A compiled profile of any protocol.
Profile = CompiledProfile | CompiledModbusProfile


@dataclass(frozen=True, slots=True)
class ProtocolSpec:
    """What one protocol brings to the registry: its compiler and its ``profiles show`` form."""

    name: str
    compile: Callable[[Any, str], Profile]
    describe: Callable[[Any], dict[str, Any]]


PROTOCOLS: dict[str, ProtocolSpec] = {
    "snmp": ProtocolSpec("snmp", compile_snmp_profile, describe_snmp),
    "modbus": ProtocolSpec("modbus", compile_modbus_profile, describe_modbus),
}


def compile_profile(data: Any, file: str) -> Profile:
    """Validate one profile document with its protocol's compiler; ConfigError names the key."""
    if not isinstance(data, dict):
        raise ConfigError([Problem(file, "", "a profile must be a YAML mapping")])
    name = data.get("protocol", "snmp")
    spec = PROTOCOLS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise ConfigError([Problem(file, "protocol", f"unknown protocol {name!r} (known: "
                                                     f"{', '.join(sorted(PROTOCOLS))})")])
    return spec.compile(data, file)


def describe(profile: Profile) -> dict[str, Any]:
    """A JSON-able description of a compiled profile, for ``dcmon profiles show``."""
    return PROTOCOLS[profile.protocol].describe(profile)


def load_profile_file(path: Path) -> Profile:
    """Parse and compile one YAML profile file."""
    return compile_profile(load_yaml(path), str(path))


_CACHE: dict[tuple[str, int, int], Profile] = {}


class ProfileRegistry:
    """All known profiles by name."""

    def __init__(self, profiles: Iterable[Profile]) -> None:
        self._by_name: dict[str, Profile] = {p.name: p for p in profiles}

    @classmethod
    def load(cls, extra_dirs: Iterable[Path] = ()) -> ProfileRegistry:
        """Load the built-in profiles, then extra dirs; collect every problem before failing.

        Compiled profiles are cached per file (path, mtime, size), so reloading an unchanged
        set costs a directory listing.
        """
        problems: list[Problem] = []
        profiles: list[Profile] = []
        for d in (BUILTIN_DIR, *extra_dirs):
            for path in sorted(Path(d).glob("*.yaml")):
                try:
                    st = path.stat()
                    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
                    prof = _CACHE.get(key)
                    if prof is None:
                        prof = _CACHE[key] = load_profile_file(path)
                    profiles.append(prof)
                except ConfigError as exc:
                    problems.extend(exc.problems)
        if problems:
            raise ConfigError(problems)
        return cls(profiles)

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def get(self, name: str) -> Profile | None:
        return self._by_name.get(name)

    def protocol_of(self, name: str) -> str | None:
        """The protocol of a profile, or None when no profile has that name."""
        p = self._by_name.get(name)
        return p.protocol if p is not None else None

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def all(self) -> list[Profile]:
        return [self._by_name[n] for n in self.names()]

    def snmp(self) -> list[CompiledProfile]:
        """The SNMP profiles, the candidates of detection."""
        return [p for p in self.all() if isinstance(p, CompiledProfile)]
