"""The table fast path of ``gnt-py ... list`` prints exactly what tabulate prints."""

from __future__ import annotations

import random
import string

from tabulate import tabulate

from ganetiops.cli.output import plain_table


def _tabulate(cells: list[list[str]], headers: list[str], right: list[bool]) -> str:
    text: str = tabulate(
        cells,
        headers=headers or (),
        tablefmt="plain",
        colalign=["right" if r else "left" for r in right],
        disable_numparse=True,
    )
    return text


def test_same_text_as_tabulate_for_printable_ascii() -> None:
    rng = random.Random(18)
    alphabet = string.ascii_letters + string.digits + " .-_/:"
    for _ in range(400):
        columns = rng.randint(1, 6)
        right = [rng.random() < 0.4 for _ in range(columns)]
        rows = [
            ["".join(rng.choices(alphabet, k=rng.randint(0, 12))) for _ in range(columns)]
            for _ in range(rng.randint(1, 8))
        ]
        headers = (
            [
                "".join(rng.choices(string.ascii_letters, k=rng.randint(0, 8)))
                for _ in range(columns)
            ]
            if rng.random() < 0.7
            else []
        )
        assert plain_table(rows, headers, right) == _tabulate(rows, headers, right), (rows, headers)


def test_a_listing_row() -> None:
    rows = [["web1.homelab.tel", "kvm", "pxe", "aleph.homelab.tel", "running", "1.0G"]]
    headers = ["Instance", "Hypervisor", "OS", "Primary_node", "Status", "Memory"]
    right = [False, False, False, False, False, True]
    assert plain_table(rows, headers, right) == _tabulate(rows, headers, right)


def test_leaves_wide_invisible_and_multiline_cells_to_tabulate() -> None:
    for cell in ("日本", "a\nb", "\x1b[1mbold\x1b[0m", "tab\there", "café"):
        assert plain_table([[cell, "x"]], ["A", "B"], [False, False]) is None
    assert plain_table([["a"]], ["Ä"], [False]) is None
