"""Moving uploaded bytes into the evidence store without holding them in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import UploadFile
from starlette.concurrency import run_in_threadpool

from madoguchi.ports import EvidenceStore, StoredBlob

CHUNK = 1024 * 1024


def store_upload(store: EvidenceStore, upload: UploadFile, max_bytes: int) -> StoredBlob:
    """A multipart file (already spooled to disk by the parser) into the store."""
    writer = store.writer(max_bytes)
    try:
        upload.file.seek(0)
        for chunk in iter(lambda: upload.file.read(CHUNK), b""):
            writer.write(chunk)
    except BaseException:
        writer.abort()
        raise
    return writer.commit()


async def store_stream(
    store: EvidenceStore, chunks: AsyncIterator[bytes], max_bytes: int
) -> StoredBlob:
    """A raw request body, chunk by chunk; a cut connection leaves nothing behind."""
    writer = store.writer(max_bytes)
    try:
        async for chunk in chunks:
            if chunk:
                await run_in_threadpool(writer.write, chunk)
    except BaseException:
        writer.abort()
        raise
    return await run_in_threadpool(writer.commit)
