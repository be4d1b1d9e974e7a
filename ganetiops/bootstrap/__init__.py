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

if TYPE_CHECKING:  # the public names, imported on first use (ganetiops._lazy)
    from ganetiops.bootstrap.apply import Bootstrap as Bootstrap
    from ganetiops.bootstrap.apply import BootstrapReport as BootstrapReport
    from ganetiops.bootstrap.apply import run_bootstrap as run_bootstrap
    from ganetiops.bootstrap.inventory import Inventory as Inventory
    from ganetiops.bootstrap.inventory import load_inventory as load_inventory
    from ganetiops.bootstrap.inventory import parse_inventory as parse_inventory
    from ganetiops.bootstrap.plan import Plan as Plan
    from ganetiops.bootstrap.plan import Step as Step
    from ganetiops.bootstrap.plan import StepState as StepState
    from ganetiops.bootstrap.plan import compute_plan as compute_plan
    from ganetiops.bootstrap.users_file import ha1 as ha1
    from ganetiops.bootstrap.verify import VerifyReport as VerifyReport
    from ganetiops.errors import BootstrapError as BootstrapError

__getattr__, __dir__ = exports(__name__)
