"""dcmon.engine.ingest."""
