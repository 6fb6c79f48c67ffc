"""dcmon.config.inventory."""
