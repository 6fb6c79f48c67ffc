"""The REST API for the compute-scheduling platform (``/api/v1``) and the HTML status page.

Both are output channels, like ``/metrics``: they read the engine's results and never poll.
See docs/api.md.
"""
