"""Page requests and page results, as every list endpoint of the REST contract uses them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from industryos.entities.errors import InvalidArgument

T = TypeVar("T")


class SortOrder(StrEnum):
    """Direction of a sorted page."""

    ASC = "ASC"
    DESC = "DESC"

    @classmethod
    def parse(cls, value: str | None) -> SortOrder:
        """Case-insensitive parse; anything else is refused as the contract demands."""
        if value is None or value == "":
            return cls.ASC
        try:
            return cls(value.upper())
        except ValueError:
            raise InvalidArgument(
                f"Unsupported sort order '{value}'! Only 'ASC' or 'DESC' is allowed."
            ) from None


@dataclass(frozen=True, slots=True)
class PageLink:
    """What the caller asked for: page size, 0-based page, text search and sorting."""

    page_size: int
    page: int = 0
    text_search: str | None = None
    sort_property: str | None = None
    sort_order: SortOrder = SortOrder.ASC
    start_time: int | None = None
    end_time: int | None = None

    @property
    def offset(self) -> int:
        """Rows to skip before this page."""
        return self.page_size * self.page


@dataclass(frozen=True, slots=True)
class PageData(Generic[T]):
    """One page of results with the totals the client pages by."""

    data: list[T]
    total_elements: int
    page_size: int
    page: int

    @property
    def total_pages(self) -> int:
        """Pages needed for every element (ceil)."""
        return -(-self.total_elements // self.page_size) if self.page_size else 0

    @property
    def has_next(self) -> bool:
        """True when a later page holds more elements."""
        return (self.page + 1) * self.page_size < self.total_elements

    def to_wire(self, render: Any) -> dict[str, Any]:
        """``{data, totalPages, totalElements, hasNext}`` with each item rendered."""
        return {
            "data": [render(item) for item in self.data],
            "totalPages": self.total_pages,
            "totalElements": self.total_elements,
            "hasNext": self.has_next,
        }
