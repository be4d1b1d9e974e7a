"""The mode markers: which client a namespace or a model belongs to, for the type checker.

``Instances[Sync]`` is the sync client's namespace, whose calls return values;
``Instances[Async]`` the async client's, whose calls return awaitables. A model carries
the mode of the client that read it (``Instance[Sync]``), so that its verbs are typed as
that client's operations (:class:`~ganetiops.rapi.models.base.Moded`).
"""

from __future__ import annotations


class AnyMode:
    """Mode of a model typed without its client (``inst: Instance``, ``Instance.from_api``):
    either mode's model is one; its verbs return ``Any``."""


class Sync(AnyMode):
    """Mode marker: calls return values."""


class Async(AnyMode):
    """Mode marker: calls return awaitables."""


__all__ = ["AnyMode", "Async", "Sync"]
