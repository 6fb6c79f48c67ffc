"""Where ``dcmon run`` keeps its state, for the service and for the commands that read it."""

from __future__ import annotations

from pathlib import Path

from dcmon.config.resolved import Config


def state_path(config: Config) -> Path:
    """The SQLite store: ``state_dir`` (relative to the inventory file) / dcmon.sqlite."""
    base = Path(config.file).resolve().parent if Path(config.file).exists() else Path.cwd()
    return base / config.model.state_dir / "dcmon.sqlite"
