"""The DRBD lab: Ganeti nodes as QEMU/TCG virtual machines on Debian's kernel.

The namespace lab's kernel has neither DRBD nor device-mapper; this second kind of lab
(``gnt-py lab up --kind drbd``) runs three VMs with Debian's own kernel, so ``drbd``
and ``plain`` instances are real: DRBD 8.4 replicating over the lab's secondary
network, LVM on a sparse data disk per VM. Same verbs, record, address plan and
safety rules as the namespace lab.

:mod:`ganetiops.lab.vm.image`
    the cached base image (debootstrap, kernel, initrd, Ganeti), keyed by its inputs.
:mod:`ganetiops.lab.vm.qemu`
    one VM: overlay, data disk, seed, taps and QEMU command line.
:mod:`ganetiops.lab.vm.drbdlab`
    :class:`DrbdLab`: up, status, exec (over SSH), down.
:mod:`ganetiops.lab.vm.cluster`
    the cluster, by the project's own bootstrap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganetiops._lazy import exports

if TYPE_CHECKING:  # the public names, imported on first use (ganetiops._lazy)
    from ganetiops.lab.vm.drbdlab import DrbdFacts as DrbdFacts
    from ganetiops.lab.vm.drbdlab import DrbdLab as DrbdLab
    from ganetiops.lab.vm.drbdlab import record_kind as record_kind
    from ganetiops.lab.vm.image import ImageSpec as ImageSpec
    from ganetiops.lab.vm.image import ensure_image as ensure_image

__getattr__, __dir__ = exports(__name__)
