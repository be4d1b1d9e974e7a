"""docs/rapi-coverage.md is what the operation definitions generate."""

from __future__ import annotations

from pathlib import Path

from ganetiops.rapi import coverage

DOC = Path(__file__).resolve().parents[2] / "docs" / "rapi-coverage.md"


def test_coverage_doc_is_current() -> None:
    assert DOC.read_text() == coverage.markdown(), (
        "regenerate: python -m ganetiops.rapi.coverage > docs/rapi-coverage.md"
    )


def test_every_row_names_a_real_method_of_both_clients() -> None:
    from ganetiops.rapi import AsyncRapiClient, RapiClient

    pin = "AB" * 32
    sync = RapiClient("h", user="u", password="p", certificate_sha256=pin)
    asynchronous = AsyncRapiClient("h", user="u", password="p", certificate_sha256=pin)
    try:
        for row in coverage.rows():
            for client in (sync, asynchronous):
                assert callable(getattr(getattr(client, row.namespace), row.name)), row
    finally:
        sync.close()
