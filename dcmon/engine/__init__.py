"""Readings in, results out: the snapshot, energy accounts and their store, PUE, capacity, and
alert evaluation and state.

The engine never polls and never publishes. The collectors feed it (through the app), and the
exporters read the frozen results it computes, so every channel tells the same numbers.
"""
