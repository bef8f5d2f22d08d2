"""Analysis runs: walking evidence, running analyzers, the result document and its renderers."""
