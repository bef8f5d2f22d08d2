"""Which evidence store a desk uses, chosen by ``MADOGUCHI_EVIDENCE_URL``.

Empty: the filesystem store in ``MADOGUCHI_EVIDENCE_DIR`` (the default). ``s3://bucket/
prefix``: an S3-compatible object store, shared by every web process and worker.
"""

from __future__ import annotations

from collections.abc import Callable

from madoguchi.config import Settings
from madoguchi.domain.errors import ConfigurationError
from madoguchi.i18n.catalogue import N_
from madoguchi.ports import EvidenceStore
from madoguchi.storage.blobs import FilesystemEvidenceStore
from madoguchi.storage.s3_blobs import s3_store_from_settings


def _filesystem(settings: Settings) -> EvidenceStore:
    return FilesystemEvidenceStore(settings.effective_evidence_dir)


STORES: dict[str, Callable[[Settings], EvidenceStore]] = {
    "": _filesystem,
    "s3": s3_store_from_settings,
}


def build_evidence_store(settings: Settings) -> EvidenceStore:
    url = settings.evidence_url.strip()
    scheme = url.partition("://")[0].lower() if url else ""
    builder = STORES.get(scheme)
    if builder is None:
        raise ConfigurationError(
            N_("MADOGUCHI_EVIDENCE_URL must be empty (a local directory) or s3://bucket/prefix"),
            where=url,
        )
    return builder(settings)
