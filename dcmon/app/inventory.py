"""Load an inventory with the device profiles it names: the one place that joins the two.

The inventory schema (:mod:`dcmon.config`) sits below the collectors and cannot know their
profiles; this module hands it :class:`~dcmon.collectors.registry.ProfileRegistry` as the
catalogue, so ``check-config``, ``run``, the offline commands and the demo check profile names
the same way, against the built-in profiles plus the inventory's ``profile_dirs``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dcmon.collectors.registry import ProfileRegistry
from dcmon.config import loader
from dcmon.config.resolved import Config


def _catalog(registry: ProfileRegistry | None) -> loader.CatalogFactory:
    if registry is not None:
        return lambda _dirs: registry
    return lambda dirs: ProfileRegistry.load(dirs)


def load_config(path: str | Path, registry: ProfileRegistry | None = None, *,
                secrets: bool = False) -> Config:
    """Read and validate an inventory file (profiles: ``registry``, else built-in + its dirs;
    ``secrets``: also read every env and file secret, as ``check-config`` and ``run`` do)."""
    return loader.load_config(path, _catalog(registry), secrets=secrets)


def parse_config(data: Any, file: str, registry: ProfileRegistry | None = None,
                 base: Path | None = None, *, secrets: bool = False) -> Config:
    """Validate an inventory document (as :func:`load_config`, without reading a file)."""
    return loader.parse_config(data, file, _catalog(registry), base, secrets=secrets)


def load_with_profiles(path: str | Path, *, secrets: bool = False
                       ) -> tuple[Config, ProfileRegistry]:
    """The inventory and the profile registry it was checked against (built-in + its dirs);
    ``secrets`` as for :func:`load_config`."""
    built: list[ProfileRegistry] = []

    def catalog(dirs: Iterable[Path]) -> ProfileRegistry:
        built.append(ProfileRegistry.load(dirs))
        return built[-1]

    config = loader.load_config(path, catalog, secrets=secrets)
    return config, built[-1]
