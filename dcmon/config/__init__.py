"""The inventory: one strict schema, its loader, and the loaded :class:`resolved.Config`.

This package sits just above the base (model, clock, errors) and below everything that reads an
inventory. It never polls and never computes: it says what a user may write, and reports every
problem at once with its file and key.
"""
