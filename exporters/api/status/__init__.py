"""dcmon.exporters.api.status."""
