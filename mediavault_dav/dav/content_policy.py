"""User content never runs in the gateway's origin.

A file is whatever its owner uploaded: an HTML page, an SVG with a script, a
"photo" that is really JavaScript. Served from the gateway's origin, such a file
could read share pages or act with a signed-in user's session cookie. So every
file the gateway serves — in /Files/ and the virtual folders (``signed_in_headers``)
as in a share — comes with ``nosniff`` and a sandboxing Content-Security-Policy, and
for every file a share serves:

- ``X-Content-Type-Options: nosniff`` (responses.py adds it to every answer):
  the browser uses the declared type and never guesses a runnable one;
- ``Content-Security-Policy`` with ``sandbox`` and no script source: even a
  document the browser does render gets an opaque origin and runs nothing;
- ``Content-Disposition: inline`` only for types a browser shows passively
  (raster images, audio, video, plain text); everything else — HTML, SVG, XML,
  JavaScript, PDF, office files, unknown types — is an ``attachment`` the
  browser saves instead of opening. ``?download`` makes anything an attachment.

The page itself (page.py) has no script at all and a policy that allows only
its own stylesheet (by hash) and media from the gateway.
"""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import quote

INLINE_TYPES = frozenset({
    "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp", "image/x-icon",
    "text/plain",
})
INLINE_PREFIXES = ("audio/", "video/")
PREVIEW_IMAGE_TYPES = INLINE_TYPES - {"text/plain"}

# For user content: nothing may run; a media document may still load itself.
FILE_POLICY = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
# For answers that are neither pages nor files (errors, 401 ...).
DEFAULT_POLICY = "default-src 'none'; sandbox"


def shows_inline(mime_type: str) -> bool:
    mime = mime_type.split(";")[0].strip().lower()
    return mime in INLINE_TYPES or mime.startswith(INLINE_PREFIXES)


def is_previewable_image(mime_type: str) -> bool:
    return mime_type.split(";")[0].strip().lower() in PREVIEW_IMAGE_TYPES


def media_kind(mime_type: str) -> str | None:
    """"audio" or "video" when the page can play it, else None."""
    mime = mime_type.split(";")[0].strip().lower()
    if mime.startswith("audio/"):
        return "audio"
    if mime.startswith("video/"):
        return "video"
    return None


def content_disposition(kind: str, name: str) -> str:
    """RFC 6266: an ASCII fallback and the exact name in UTF-8."""
    fallback = "".join(ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\' else "_" for ch in name) or "download"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def file_headers(mime_type: str, name: str, *, download: bool) -> list[tuple[str, str]]:
    kind = "inline" if shows_inline(mime_type) and not download else "attachment"
    return [
        ("Content-Disposition", content_disposition(kind, name)),
        ("Content-Security-Policy", FILE_POLICY),
        # Revalidated on every use (ETag), so a revoked share stops working at once.
        ("Cache-Control", "private, no-cache"),
    ]


def signed_in_headers() -> list[tuple[str, str]]:
    """For a signed-in user's own file: shown as before, but nothing in it may run
    (DAV clients ignore these headers; a browser honours them)."""
    return [("X-Content-Type-Options", "nosniff"), ("Content-Security-Policy", FILE_POLICY)]


def page_policy(stylesheet: str) -> str:
    digest = base64.b64encode(hashlib.sha256(stylesheet.encode()).digest()).decode()
    return ("default-src 'none'; img-src 'self'; media-src 'self'; "
            f"style-src 'sha256-{digest}'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
