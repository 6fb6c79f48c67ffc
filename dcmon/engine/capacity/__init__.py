"""dcmon.engine.ingest.capacity."""
