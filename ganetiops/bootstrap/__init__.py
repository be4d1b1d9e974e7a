"""Bootstrap a Ganeti cluster from an inventory: preflight facts, plan, apply, verify.

>>> from ganetiops.bootstrap import Bootstrap, load_inventory      # doctest: +SKIP
>>> inventory = load_inventory("examples/homelab.toml")
>>> async with Bootstrap(inventory) as boot:
...     print((await boot.plan()).rows())
...     report = await boot.apply()

``run_bootstrap(inventory, plan_only=...)`` is the synchronous facade. The CLI
(``gnt-py cluster bootstrap``) is a thin layer over the same code. See docs/bootstrap.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganetiops._lazy import exports

_LAZY: dict[str, str] = {
    "Inventory": "ganetiops.bootstrap.inventory",
    "load_inventory": "ganetiops.bootstrap.inventory",
    "parse_inventory": "ganetiops.bootstrap.inventory",
    "Plan": "ganetiops.bootstrap.plan",
    "Step": "ganetiops.bootstrap.plan",
    "StepState": "ganetiops.bootstrap.plan",
    "BootstrapError": "ganetiops.errors",
    "compute_plan": "ganetiops.bootstrap.plan",
    "Bootstrap": "ganetiops.bootstrap.apply",
    "BootstrapReport": "ganetiops.bootstrap.apply",
    "run_bootstrap": "ganetiops.bootstrap.apply",
    "VerifyReport": "ganetiops.bootstrap.verify",
    "ha1": "ganetiops.bootstrap.users_file",
}

__all__ = [
    "Bootstrap",
    "BootstrapError",
    "BootstrapReport",
    "Inventory",
    "Plan",
    "Step",
    "StepState",
    "VerifyReport",
    "compute_plan",
    "ha1",
    "load_inventory",
    "parse_inventory",
    "run_bootstrap",
]


__getattr__, __dir__ = exports(__name__, _LAZY, __all__)


if TYPE_CHECKING:  # pragma: no cover
    from ganetiops.bootstrap.apply import Bootstrap, BootstrapReport, run_bootstrap
    from ganetiops.bootstrap.inventory import Inventory, load_inventory, parse_inventory
    from ganetiops.bootstrap.plan import Plan, Step, StepState, compute_plan
    from ganetiops.bootstrap.users_file import ha1
    from ganetiops.bootstrap.verify import VerifyReport
    from ganetiops.errors import BootstrapError
