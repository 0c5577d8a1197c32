"""The paging state of one listing (``/jobs``, ``/processes``), fetched a page at a time.

A :class:`Pager` remembers where a listing stands: the next request (a
``next`` link, else an ``offset`` when the server reports a total), the items
seen so far (to drop repeats and to stop at a server that ignores ``offset``),
the URLs fetched (to stop at a ``next`` loop) and the ``limit``.
:meth:`Pager.next_page` is a flow (see :mod:`procdeck.client._protocol`), so
the sync and the async client page alike: the merged ``get_jobs`` /
``get_processes`` drive it to the end, ``iter_jobs`` / ``iter_processes`` one
page whenever their caller gets there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import httpx

from procdeck.client._protocol import Call, Flow
from procdeck.ogc.models import Link, OGCModel
from procdeck.ogc.vocabulary import REL_NEXT

M = TypeVar("M", bound=OGCModel)

MAX_PAGES = 10_000
"""At most this many requests per listing (a last guard against a server that never ends)."""

MakeCall = Callable[..., Call]
ReadPage = Callable[[Call, httpx.Response], Any]


def next_link(page: OGCModel, response: httpx.Response) -> Link | None:
    """The page's ``next`` link (in the document, else in a ``Link`` header), href absolute."""
    for link in getattr(page, "links", None) or []:
        if link.rel == REL_NEXT and link.href:
            return link.model_copy(update={"href": str(response.url.join(link.href))})
    header_next = response.links.get(REL_NEXT)
    if header_next and header_next.get("url"):
        return Link(href=str(response.url.join(header_next["url"])), rel=REL_NEXT)
    return None


def _offset_call(
    make_call: MakeCall, call: Call, page: OGCModel, items: Sequence[Any], consumed: int
) -> Call | None:
    """The request for the items after ``consumed`` when the server reports a total, else None."""
    extra = page.model_extra or {}
    total = next(
        (extra[k] for k in ("numberMatched", "totalCount", "total") if k in extra), None
    )
    if not isinstance(total, int) or isinstance(total, bool) or consumed >= total:
        return None
    if not items:
        return None
    url = httpx.URL(call.url)
    query = [*url.params.multi_items(), *call.params]
    params = [(k, v) for k, v in query if k != "offset"] + [("offset", str(consumed))]
    return make_call("GET", str(url.copy_with(query=None)), params)


class Pager(Generic[M]):
    """Where one listing stands; :meth:`next_page` fetches the next page.

    ``make_call`` builds a request (the core's ``call``: default headers, the
    token only to the server's origin); ``read`` turns an answer into the
    page document (raising the client's errors); ``field`` names the list of
    items in it and ``key`` gives an item's id. ``on_page`` sees each page's
    new items (the core remembers which process each job belongs to).
    """

    def __init__(
        self,
        call: Call,
        *,
        make_call: MakeCall,
        read: ReadPage,
        field: str,
        key: Callable[[Any], str],
        limit: int | None = None,
        on_page: Callable[[Sequence[Any]], None] | None = None,
    ) -> None:
        self._call: Call | None = call
        self._make_call = make_call
        self._read = read
        self._field = field
        self._key = key
        self._limit = limit
        self._on_page = on_page
        self._seen: set[str] = set()
        self._fetched = {call.display_url}
        self._consumed = 0  # items the server sent, repeats included (the next offset)
        self._count = 0  # items handed out
        self._pages = 0
        self.first: M | None = None
        """The first page as the server sent it (None before it is fetched)."""
        self.pending_next: Link | None = None
        """The ``next`` link of the page where ``limit`` was reached (more items exist)."""

    @property
    def done(self) -> bool:
        """True when no page is left to fetch."""
        return self._call is None

    def next_page(self) -> Flow[M | None]:
        """Fetch the next page: its document with only the items not seen before.

        Returns None, fetching nothing, when the listing is done; and None after
        fetching a page (not the first) that brings nothing new (a server
        ignoring ``offset``). At ``limit`` items the page is cut and the listing
        ends, its ``next`` link kept in :attr:`pending_next`; it also ends at a
        URL already fetched (a ``next`` loop) and after :data:`MAX_PAGES`.
        """
        call = self._call
        if call is None:
            return None
        self._call = None
        self._pages += 1
        response = yield call
        page = self._read(call, response)
        page_items = getattr(page, self._field)
        self._consumed += len(page_items)
        fresh = [item for item in page_items if self._key(item) not in self._seen]
        if self.first is None:
            self.first = page
        elif not fresh:
            return None
        self._seen.update(self._key(item) for item in fresh)
        link = next_link(page, response)
        if self._limit is not None and self._count + len(fresh) >= self._limit:
            fresh = fresh[: self._limit - self._count]
            self.pending_next = link
        else:
            self._call = self._following(call, page, page_items, link)
        self._count += len(fresh)
        if self._on_page is not None:
            self._on_page(fresh)
        return page.model_copy(update={self._field: fresh})

    def _following(
        self, call: Call, page: M, page_items: Sequence[Any], link: Link | None
    ) -> Call | None:
        if self._pages >= MAX_PAGES:
            return None
        if link is not None:
            following: Call | None = self._make_call("GET", link.href)
        else:
            following = _offset_call(self._make_call, call, page, page_items, self._consumed)
        if following is None or following.display_url in self._fetched:
            return None
        self._fetched.add(following.display_url)
        return following


def merged(pager: Pager[M], field: str) -> Flow[M]:
    """Every page of ``pager`` in one document: the first page's members, all the items.

    Its links are the first page's without ``next``, plus the ``next`` link of
    the page where the limit was reached (so a caller can go on).
    """
    items: list[Any] = []
    while (page := (yield from pager.next_page())) is not None:
        items.extend(getattr(page, field))
    first = pager.first
    assert first is not None
    links = [link for link in first.links if link.rel != REL_NEXT]
    if pager.pending_next is not None:
        links.append(pager.pending_next)
    return first.model_copy(update={field: items, "links": links})
