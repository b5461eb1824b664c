"""Shared pieces of the JSON API: the error shape, paging, and the responses every route documents."""

from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from ninja import Field, Schema

T = TypeVar("T")

MAX_PAGE_SIZE = 200


class ErrorOut(Schema):
    code: str = Field(..., description="稳定的错误代码，供程序判断")
    message: str = Field(..., description="中文说明，可直接展示给用户")
    fields: dict[str, list[str]] = Field(default_factory=dict, description="字段 → 该字段的错误说明")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}


class Page(Schema, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


class PageParams(Schema):
    page: int = Field(1, ge=1, le=1_000_000, description="页码，从 1 开始")
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE, description="每页条数")


def paginate(queryset: QuerySet, params: PageParams) -> dict[str, Any]:
    total = queryset.count()
    start = (params.page - 1) * params.page_size
    items = list(queryset[start : start + params.page_size])
    return {"items": items, "total": total, "page": params.page, "page_size": params.page_size}


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The error responses a route documents besides its success (every route: 401, 422)."""
    return dict.fromkeys({401, 422, *statuses}, ErrorOut)
