"""Sizes as Ganeti writes them: a neutral module every room may use (no imports).

RAPI models (``MiB.human``), the notebook display and the CLI's tables all render
MiB the same way through :func:`format_mib`.
"""

from __future__ import annotations

UNITS = ("M", "G", "T", "P")


def format_mib(value: float | None, unit: str | None = None) -> str:
    """Render MiB like Ganeti does: ``512M``, ``1.5G``, ``2.0T``; ``unit`` forces one."""
    if value is None:
        return "?"
    if unit:
        unit = unit.upper()[:1]
        if unit not in UNITS:
            raise ValueError(f"unknown unit {unit!r} (one of {', '.join(UNITS)})")
        scaled = value / 1024 ** UNITS.index(unit)
        return f"{scaled:.1f}{unit}" if unit != "M" else f"{int(scaled)}M"
    index = 0
    scaled = float(value)
    while abs(scaled) >= 1024 and index < len(UNITS) - 1:
        scaled /= 1024
        index += 1
    return f"{int(scaled)}M" if index == 0 else f"{scaled:.1f}{UNITS[index]}"


def format_size(mib: float | None) -> str:
    """Like :func:`format_mib`, but nothing is ``0`` (no unit): ``1536`` -> ``1.5G``."""
    if mib == 0:
        return "0"
    return format_mib(mib)


__all__ = ["UNITS", "format_mib", "format_size"]
