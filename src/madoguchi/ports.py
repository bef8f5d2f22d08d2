"""Protocols the services depend on; implementations live in storage/ and tasks/."""
