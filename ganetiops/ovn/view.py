"""A picture of OVN for notebooks: switches, their ports, and the chassis they are bound to.

>>> Topology(nb.snapshot(), sb.snapshot())          # doctest: +SKIP

in Jupyter draws an SVG: chassis along the top, one row per logical switch with its
ports, a solid line from a port to the chassis that claimed it (SB binding), a dashed
one to the chassis it is only requested on, and ports in red when a check finding
names them. Pure: it draws what it is given (no I/O), escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import attrs

from ganetiops.ovn.models import NbSnapshot, SbSnapshot

__all__ = ["Topology"]

_PORT_W, _PORT_GAP, _ROW_H, _TOP = 22, 6, 90, 80


@attrs.frozen
class Topology:
    """NB (and optionally SB) snapshots, drawn as SVG by ``_repr_svg_``."""

    nb: NbSnapshot
    sb: SbSnapshot | None = None
    #: Port names to draw in red (e.g. ``{f.port for f in report.findings}``).
    flagged: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls, nb: NbSnapshot, sb: SbSnapshot | None = None, flagged: Iterable[str] = ()
    ) -> Topology:
        return cls(nb, sb, frozenset(flagged))

    def svg(self) -> str:
        chassis = list(self.sb.chassis_names) if self.sb else []
        for lsp in self.nb.ports:
            for name in (lsp.requested_chassis or "").split(","):
                if name and name not in chassis:
                    chassis.append(name)
        switches = list(self.nb.switches)
        widest = max((len(s.ports) for s in switches), default=0)
        width = max(160 + widest * (_PORT_W + _PORT_GAP), 120 * max(len(chassis), 1) + 40)
        height = _TOP + 40 + _ROW_H * max(len(switches), 1)
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            'font-family="sans-serif" font-size="11">'
        ]
        where: dict[str, tuple[int, int]] = {}
        step = (width - 40) / max(len(chassis), 1)
        for i, name in enumerate(chassis):
            x = int(20 + i * step)
            where[name] = (x + 45, 50)
            registered = self.sb is not None and name in self.sb.chassis_names
            fill = "#ddf4ff" if registered else "#eeeeee"
            out.append(
                f'<rect x="{x}" y="20" width="90" height="30" rx="4" fill="{fill}" '
                'stroke="#0969da"/>'
                f'<text x="{x + 45}" y="39" text-anchor="middle">{html.escape(name)}</text>'
            )
        bound = {b.logical_port: b.chassis for b in (self.sb.bindings if self.sb else ())}
        ports = {p.name: p for p in self.nb.ports}
        for row, switch in enumerate(switches):
            y = _TOP + 30 + row * _ROW_H
            out.append(
                f'<rect x="10" y="{y}" width="{width - 20}" height="20" fill="#f6f8fa" '
                f'stroke="#8c959f"/><text x="16" y="{y + 14}">switch {html.escape(switch.name)}'
                "</text>"
            )
            for j, name in enumerate(switch.ports):
                port = ports.get(name)
                x = 150 + j * (_PORT_W + _PORT_GAP)
                py = y + 40
                flagged = name in self.flagged
                colour = "#cf222e" if flagged else ("#1a7f37" if bound.get(name) else "#6e7781")
                title = html.escape(name + (f" ({port.type})" if port and port.type else ""))
                out.append(
                    f'<line x1="{x + _PORT_W // 2}" y1="{y + 20}" x2="{x + _PORT_W // 2}" '
                    f'y2="{py}" stroke="#8c959f"/>'
                    f'<rect x="{x}" y="{py}" width="{_PORT_W}" height="14" fill="{colour}">'
                    f"<title>{title}</title></rect>"
                )
                target = bound.get(name)
                requested = port.requested_chassis if port else None
                for chassis_name, dash in ((target, ""), (requested, ' stroke-dasharray="4 3"')):
                    if not chassis_name or chassis_name not in where:
                        continue
                    if dash and chassis_name == target:
                        continue
                    cx, cy = where[chassis_name]
                    out.append(
                        f'<line x1="{x + _PORT_W // 2}" y1="{py}" x2="{cx}" y2="{cy}" '
                        f'stroke="{colour}" stroke-opacity="0.5"{dash}/>'
                    )
        out.append("</svg>")
        return "".join(out)

    def _repr_svg_(self) -> str:
        return self.svg()
