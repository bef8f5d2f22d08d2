"""The SeaweedFS server fixture for the evidence-store tests (see ``tests/seaweedfs.py``)."""

from tests.seaweedfs import s3_server

__all__ = ["s3_server"]
