"""Network appliance logs: PAN-OS, Ivanti Connect Secure, FortiOS, NetScaler, SonicWall.

One subpackage per product (parser + rule file + examples). The shared machinery —
syslog/CSV line reading (``lines``), the YAML rule matcher (``rulebook``), aggregation
into findings (``hits``), login tracking (``logins``) and the analysis loop
(``engine``) — is also used by the ESXi, web and Linux log analyzers.
"""
