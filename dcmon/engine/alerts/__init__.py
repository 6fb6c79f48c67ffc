"""dcmon.engine.ingest.alerts."""
