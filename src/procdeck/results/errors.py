"""The error raised when a job result cannot be opened.

It is a :class:`procdeck.client.errors.ClientError`, so code that catches the client's one
base class catches this too; the library's own exception (pandas, xarray, PIL...) is kept
as ``__cause__``.
"""

from __future__ import annotations

from procdeck.client.errors import ClientError

__all__ = ["ResultOpenError", "ResultTooLargeError", "UnknownKindError"]


class ResultOpenError(ClientError):
    """An output could not be opened: no opener fits, a module is missing, or reading failed.

    Attributes:
        output: the output id.
        media_type: the media type the output arrived with (or its schema's), if any.
        extra: the procdeck extra that installs what is missing (``pip install
            'procdeck[<extra>]'``), when a missing module is the cause.
        opener: the name of the opener that was chosen, if one was.
    """

    def __init__(
        self,
        message: str,
        *,
        output: str | None = None,
        media_type: str | None = None,
        extra: str | None = None,
        opener: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message, url=url)
        self.output = output
        self.media_type = media_type
        self.extra = extra
        self.opener = opener


class UnknownKindError(ResultOpenError, ValueError):
    """``as_=`` named neither a kind nor a registered opener."""


class ResultTooLargeError(ResultOpenError):
    """A link's body is larger than the caller's ``max_bytes``: download it instead.

    Attributes:
        limit: the ``max_bytes`` that was asked for.
        size: how many bytes the body has at least (its length, or what had arrived).
    """

    def __init__(self, message: str, *, limit: int, size: int, url: str | None = None) -> None:
        super().__init__(message, url=url)
        self.limit = limit
        self.size = size
