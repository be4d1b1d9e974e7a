"""``python -m ganetiops.cli``: the same as the ``gnt-py`` console script."""

from ganetiops.cli.app import main

main()
