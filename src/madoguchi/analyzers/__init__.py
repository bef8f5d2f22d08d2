"""Analyzers: one package per evidence family; evidence in, results out, no I/O beyond reading it."""
