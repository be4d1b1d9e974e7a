"""``gnt-py``: the command line over the ganetiops library.

Command groups live one per module and are imported only when used, so that
``gnt-py --help`` starts fast. Command bodies call the library and the
formatters in :mod:`ganetiops.cli.output`; they hold no cluster logic.
"""

from __future__ import annotations

from ganetiops.cli.app import main

__all__ = ["main"]
