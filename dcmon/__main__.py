"""``python -m dcmon``: the same as the ``dcmon`` command."""

from dcmon.app.cli import main

main()
