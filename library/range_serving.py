"""HTTP Range support (RFC 9110 §14) for media files, so players can seek.

Django's static/media serving ignores Range; browsers then cannot seek."""

import mimetypes
import os
import re

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import http_date

CHUNK_SIZE = 64 * 1024
# A range answer sends at most this much; the player asks for the next part when it needs it.
# Players open with "bytes=0-" (the whole rest); answered in full, a video would hold a web
# process for as long as it plays (make serve runs one request per process at a time).
# RFC 9110 lets the server send less than asked: Content-Range says what came.
MAX_RANGE_BYTES = 8 * 1024 * 1024
_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


class UnsatisfiableRange(Exception):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Return the inclusive (start, end) byte range asked for, or None for the whole file.

    Malformed or multi-range headers are ignored (a full 200 answer is allowed);
    a well-formed range that lies outside the file raises UnsatisfiableRange."""
    if not header:
        return None
    match = _RANGE_RE.match(header.strip())
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix range: the last N bytes
        length = int(last)
        if length == 0:
            raise UnsatisfiableRange
        return max(0, size - length), size - 1
    start = int(first)
    if start >= size:
        raise UnsatisfiableRange
    end = int(last) if last else size - 1
    if end < start:
        return None
    return start, min(end, size - 1)


def _file_chunks(path, start: int, length: int):
    with open(path, "rb") as handle:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk


def ranged_file_response(request, path, content_type: str | None = None):
    stat = os.stat(path)
    size = stat.st_size
    content_type = content_type or mimetypes.guess_type(str(path))[0] or "application/octet-stream"
    try:
        byte_range = parse_range(request.headers.get("Range"), size)
    except UnsatisfiableRange:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return response

    start, end = byte_range if byte_range else (0, size - 1)
    if byte_range:
        end = min(end, start + MAX_RANGE_BYTES - 1)
    length = max(0, end - start + 1)
    response = StreamingHttpResponse(
        _file_chunks(path, start, length) if request.method != "HEAD" else iter(()),
        status=206 if byte_range else 200,
        content_type=content_type,
    )
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["Last-Modified"] = http_date(stat.st_mtime)
    if byte_range:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response
