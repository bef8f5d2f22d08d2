"""The security tests drive the same Debian chromium as the end-to-end tests."""

from __future__ import annotations

from tests.e2e.conftest import browser, chromium_path

__all__ = ["browser", "chromium_path"]
