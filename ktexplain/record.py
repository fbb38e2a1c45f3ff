"""Frozen records that cost nothing to define.

A frozen dataclass writes the source of its ``__init__``, ``__eq__``, ``__hash__``,
``__repr__``, ``__setattr__`` and ``__delattr__`` and compiles each of them every time its module
is imported: about a millisecond per class, the largest part of what explaining one traceback
costs beyond loading rich (issue 9). A `Record` is the same thing written out, so it is compiled
once into bytecode: the fields are the class's ``__slots__`` in order, ``__init__`` is written by
hand (so the signature and its defaults read as any function does), and equality, hashing,
``repr``, pickling and `replace` work on the fields, as a frozen dataclass's do.
"""

from __future__ import annotations

from operator import attrgetter

set_field = object.__setattr__  # how a record's __init__ sets its fields

TYPE_CHECKING = False  # typing costs an import
if TYPE_CHECKING:
    from typing import Any, ClassVar, TypeVar

    R = TypeVar("R", bound="Record")


class FrozenError(AttributeError):
    """Assigning to a field of a record (as dataclasses' FrozenInstanceError)."""


class Record:
    __slots__: ClassVar[tuple[str, ...]] = ()
    _fields: ClassVar[tuple[str, ...]]
    _values: ClassVar[Any]

    def __init_subclass__(cls) -> None:
        names = tuple(n for c in reversed(cls.__mro__) for n in c.__dict__.get("__slots__", ()))
        if len(names) < 2:  # attrgetter of one name returns the value, not a tuple
            raise TypeError(f"{cls.__name__}: a record has at least two fields")
        code = cls.__init__.__code__
        if code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount] != names:
            raise TypeError(f"{cls.__name__}.__init__ must take the fields {names}, in order")
        cls._fields = names
        cls._values = attrgetter(*names)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return bool(self._values(self) == self._values(other))

    def __hash__(self) -> int:
        return hash(self._values(self))

    def __repr__(self) -> str:
        values = self._values(self)
        inside = ", ".join(f"{n}={v!r}" for n, v in zip(fields(self), values, strict=True))
        return f"{type(self).__qualname__}({inside})"

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:  # pickle, copy
        return (type(self), self._values(self))


def fields(record: Record | type[Record]) -> tuple[str, ...]:
    """The field names, in order."""
    return record._fields


def replace(record: R, **changes: Any) -> R:
    """A copy of `record` with the fields named changed (as `dataclasses.replace`)."""
    values = dict(zip(fields(record), record._values(record), strict=True))
    unknown = changes.keys() - values.keys()
    if unknown:
        raise TypeError(f"{type(record).__name__} has no field {sorted(unknown)[0]!r}")
    values.update(changes)
    return type(record)(**values)
