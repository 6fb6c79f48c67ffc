"""The composition root: the only package that wires collectors to the engine and exporters.

``poller`` schedules nothing itself but caps concurrency and backs off dead devices;
``service`` is ``dcmon run``; ``cli`` is the command line; ``demo``, ``simulate`` and
``replay`` are the other ways to run the same parts.
"""
