"""Message catalogues (ja, en) and the translation helpers."""
