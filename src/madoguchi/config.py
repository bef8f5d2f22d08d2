"""Settings (placeholder, replaced by the foundation work)."""
