"""Pure domain model: dataclasses and enums, no I/O and no framework imports."""
