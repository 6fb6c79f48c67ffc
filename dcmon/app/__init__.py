"""dcmon.app."""
