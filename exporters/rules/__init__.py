"""Prometheus rule files from the inventory: ``dcmon rules`` (see README.md here)."""

from dcmon.exporters.rules.generate import rule_file
from dcmon.exporters.rules.promtests import rule_tests

__all__ = ["rule_file", "rule_tests"]
