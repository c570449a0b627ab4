"""ResultList: the list every query returns, with notebook display and a DataFrame view."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, SupportsIndex, TypeVar, overload

__all__ = ["ResultList"]

_T = TypeVar("_T")


class ResultList(list[_T]):
    """A plain ``list`` of query results that also renders itself in Jupyter.

    It behaves exactly like the list it is (indexing, iteration, equality with a
    list, JSON via its items' ``model_dump``), and adds:

    - ``_repr_html_()``: an HTML table with a row per result and its citations,
      which Jupyter shows when a result list is the value of a cell;
    - :meth:`to_dataframe`: a pandas DataFrame with a row per result (needs the
      optional ``pandas`` extra).
    """

    __slots__ = ()

    def __init__(self, items: Iterable[_T] = ()) -> None:
        """Wrap ``items`` (any iterable) in a new result list."""
        super().__init__(items)

    @overload
    def __getitem__(self, index: SupportsIndex) -> _T: ...

    @overload
    def __getitem__(self, index: slice) -> ResultList[_T]: ...

    def __getitem__(self, index: SupportsIndex | slice) -> _T | ResultList[_T]:
        """An item, or for a slice a new ResultList (so ``hits[:3]`` still displays)."""
        if isinstance(index, slice):
            return ResultList(super().__getitem__(index))
        return super().__getitem__(index)

    def _repr_html_(self) -> str:
        from ._display import to_html  # noqa: PLC0415 - display code loads on first use

        return to_html(list(self))

    def to_dataframe(self) -> Any:  # noqa: ANN401 - pandas is optional, so no type to name
        """A ``pandas.DataFrame`` with one row per result (columns as in ``to_records``).

        Raises:
            MissingDependencyError: pandas is not installed (the ``pandas`` extra).
        """
        from ._frames import frame  # noqa: PLC0415 - pandas is imported only here

        return frame(list(self))
