"""The image opener (Pillow). The whole image is read on open, so a truncated file fails
here and no file stays open."""

from __future__ import annotations

import io
from typing import Any

from procdeck.results._read import raw_bytes
from procdeck.results.opener import Opener
from procdeck.results.source import Source

__all__ = ["image_openers"]

_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")


def _is_image(source: Source) -> bool:
    head = source.head(12)
    return head.startswith(_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def _image(source: Source) -> Any:
    from PIL import Image

    # read from memory: Pillow keeps a file it opened until the image is closed
    image = Image.open(io.BytesIO(raw_bytes(source)))
    image.load()
    return image


def image_openers() -> list[Opener]:
    return [
        Opener("image.pil", "image", _image,
               media_types=("image/png", "image/jpeg", "image/jpg", "image/pjpeg", "image/gif",
                            "image/webp", "image/bmp"),
               extensions=(".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp"),
               sniff=_is_image, modules=("PIL",), extra="image"),
    ]
