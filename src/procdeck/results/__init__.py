"""Open any job result as xarray, pandas, geopandas, an image, JSON, text or bytes.

A :class:`Source` is one output as it arrived (inline value, bytes, local file or
directory, remote Zarr store); :func:`choose_opener` picks the :class:`Opener` that fits
(``as_=``, media type, schema, extension, magic bytes) and :func:`open_source` opens it.
Openers are registered with :func:`register_opener` or the ``procdeck.openers`` entry-point
group. The libraries are imported only when an opener opens something, so importing this
package stays light.
"""

from procdeck.results.builtin import builtin_openers
from procdeck.results.errors import ResultOpenError, ResultTooLargeError, UnknownKindError
from procdeck.results.opener import KINDS, Opener
from procdeck.results.registry import (
    ENTRY_POINT_GROUP,
    choose_opener,
    open_source,
    openers,
    register_opener,
    unregister_opener,
)
from procdeck.results.source import Source

__all__ = [
    "ENTRY_POINT_GROUP",
    "KINDS",
    "Opener",
    "ResultOpenError",
    "ResultTooLargeError",
    "Source",
    "UnknownKindError",
    "builtin_openers",
    "choose_opener",
    "open_source",
    "openers",
    "register_opener",
    "unregister_opener",
]
