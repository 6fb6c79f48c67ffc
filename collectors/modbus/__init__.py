"""Modbus collector: power meters, chillers and CRACs over Modbus TCP, RTU gateways and serial RTU.

Modules: :mod:`.codec` (register decoding), :mod:`.planner` (request blocks), :mod:`.client` (the
only pymodbus importer) and :mod:`.collector` (poll a device into Readings). This package module
imports none of them, so loading profiles (which needs only the codec) never imports pymodbus.
"""
