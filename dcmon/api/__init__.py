"""The REST API for the compute-scheduling platform (``/api/v1``), see docs/api.md.

This package's ``__init__`` stays free of FastAPI imports: :mod:`dcmon.config` imports the
settings schema from :mod:`dcmon.api.settings`, and loading an inventory must not need a web
framework.
"""
