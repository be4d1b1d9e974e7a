"""Hypothesis over the RAPI models: answers with missing keys, ``None``, wrong-typed and
unknown fields (any JSON under the keys the models read, and more) are tolerated:
``from_api`` builds a model, and every property, ``repr`` and ``to_dict`` of it work
(or raise one clear GanetiOpsError), never another exception.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganetiops import errors
from ganetiops.rapi import models

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)

MODELS = sorted(
    (
        cls
        for cls in vars(models).values()
        if inspect.isclass(cls) and issubclass(cls, models.Model) and cls is not models.Model
    ),
    key=lambda cls: cls.__name__,
)


def _answers(cls: type[models.Model]) -> st.SearchStrategy[Any]:
    keys = [key for _name, key, _convert in cls._fields()]
    known = st.fixed_dictionaries({}, optional=dict.fromkeys(keys, json_values))
    unknown = st.dictionaries(st.text(max_size=10), json_values, max_size=3)
    return st.one_of(
        st.builds(lambda a, b: {**b, **a}, known, unknown),
        json_values,  # not even a mapping
    )


def _exercise(model: models.Model) -> None:
    repr(model)
    model.to_dict()
    for name, member in inspect.getmembers(type(model)):
        if isinstance(member, property) and not name.startswith("_"):
            try:
                getattr(model, name)
            except errors.GanetiOpsError as exc:  # allowed: one clear error
                message = str(exc)
            else:
                continue
            assert message.strip()


@pytest.mark.parametrize("cls", MODELS, ids=lambda cls: cls.__name__)
def test_models_tolerate_any_answer(cls: type[models.Model]) -> None:
    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_answers(cls))
    def check(data: Any) -> None:
        _exercise(cls.from_api(data))

    check()
