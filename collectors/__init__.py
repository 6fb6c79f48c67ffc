"""Reading devices: one folder per protocol, the device profiles, and the registries that let
the rest of dcmon use a protocol without naming it."""
