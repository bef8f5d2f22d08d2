"""Use cases. Each takes the acting user as an argument and talks to storage only through ports."""
