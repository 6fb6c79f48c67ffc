"""SNMP collector: v1/v2c/v3 behind a three-method seam (``api.py``), with pysnmp and a lean
own-codec client behind it, profile compilation, detection, and polling into Readings."""
