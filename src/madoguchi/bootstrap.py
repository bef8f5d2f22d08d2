"""Composition root: builds the storage, queue and mailer behind the ports from settings."""
