"""Alert evaluation and state: rules over engine results, the gate on PUE breaches, the state
machine (pending, firing, resolved) and its SQLite store with the outbox rows.

Delivery is not here: receivers live in ``dcmon.exporters.notify`` and the app joins the two.
"""
