"""A faster ``__init__`` for the frozen, slotted dataclasses made once per event.

On Python 3.11 the ``__init__`` that ``dataclasses`` writes for a frozen class looks
``object.__setattr__`` up anew for every field of every object it makes: an
eight-field record takes about twice as long to make as the same class unfrozen.
Analysing a large event log makes several such objects per timeline event (the
analyzer's output and its evidence reference, the result record and its evidence), a
few hundred thousand of each. :func:`quick_frozen_init` gives such a class an
``__init__`` with the same parameters and defaults that sets the fields through
``object.__setattr__`` bound once. The instances are the same: still frozen, and equal
and hashable as before.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")

#: Stands for "not given" where a field's default comes from a factory, as in dataclasses.
_FACTORY = object()


def quick_frozen_init(cls: type[T]) -> type[T]:
    """Replace the ``__init__`` that ``dataclasses`` made for the frozen dataclass ``cls``.

    Only plain fields are handled: every field in ``__init__``, none keyword-only, no
    ``InitVar`` and no ``__post_init__``. Any other class raises ``TypeError`` when it
    is decorated (at import), so nothing is silently built differently.
    """
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen:
        raise TypeError(f"{cls.__name__}: not a frozen dataclass")
    if hasattr(cls, "__post_init__") or any(
        "InitVar" in str(hint) for hint in getattr(cls, "__annotations__", {}).values()
    ):
        raise TypeError(f"{cls.__name__}: __post_init__ and InitVar are not handled")
    namespace: dict[str, Any] = {"_setattr": object.__setattr__, "_FACTORY": _FACTORY}
    parameters: list[str] = []
    body: list[str] = []
    for number, field in enumerate(dataclasses.fields(cls)):  # type: ignore[arg-type]
        name = field.name
        # "self" and names starting "_" could clash with this function's own names.
        if not field.init or field.kw_only or name == "self" or name.startswith("_"):
            raise TypeError(f"{cls.__name__}.{name}: only public, positional init fields")
        value = name
        if field.default is not dataclasses.MISSING:
            namespace[f"_default{number}"] = field.default
            parameters.append(f"{name}=_default{number}")
        elif field.default_factory is not dataclasses.MISSING:
            namespace[f"_factory{number}"] = field.default_factory
            parameters.append(f"{name}=_FACTORY")
            value = f"_factory{number}() if {name} is _FACTORY else {name}"
        else:
            parameters.append(name)
        body.append(f"    _setattr(self, {name!r}, {value})")
    source = f"def __init__(self, {', '.join(parameters)}):\n" + "\n".join(body or ["    pass"])
    exec(source, namespace)  # noqa: S102 - made from the field list, as dataclasses does
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    setattr(cls, "__init__", init)  # noqa: B010 - replaces the generated one
    return cls
