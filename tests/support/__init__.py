"""Test-only helpers: snmpsim process management and LibreNMS reference expectations."""
