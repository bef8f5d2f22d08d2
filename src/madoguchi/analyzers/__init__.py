"""Analyzers: one package per evidence family; evidence in, results out."""
