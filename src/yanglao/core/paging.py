from django.core.paginator import Paginator

DEFAULT_PAGE_SIZE = 20
PAGE_SIZES = (20, 50, 100)


def page_of(request, queryset, *, per_page: int | None = None):
    """One page of a queryset for a console list: a count and a slice, whatever the page size."""
    try:
        size = int(request.GET.get("page_size") or per_page or DEFAULT_PAGE_SIZE)
    except ValueError:
        size = DEFAULT_PAGE_SIZE
    size = size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE
    page = Paginator(queryset, size).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    page.querystring = query.urlencode()
    return page
