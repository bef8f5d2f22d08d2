"""The explicit table of built-in analyzers, plus the ``madoguchi.analyzers`` entry points.

Loading fails loudly on a duplicate name and softly on a broken plugin: an analyzer
that cannot be imported is recorded in ``Registry.broken`` (shown by
``madoguchi analyzers`` and in every result document) and the others still load.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points

from madoguchi.analyzers.base import Analyzer
from madoguchi.domain.errors import ConfigurationError

ENTRY_POINT_GROUP = "madoguchi.analyzers"

# "module:Class" of every built-in analyzer, in the order they run on a file.
BUILTIN: tuple[str, ...] = (
    "madoguchi.analyzers.example:ExampleAnalyzer",
    "madoguchi.analyzers.windows_evtx:EvtxAnalyzer",
    "madoguchi.analyzers.ransomware:RansomNoteAnalyzer",
    "madoguchi.analyzers.malware:MalwareTriageAnalyzer",
    "madoguchi.analyzers.devices.panos:PanosAnalyzer",
    "madoguchi.analyzers.devices.ivanti:IvantiAnalyzer",
    "madoguchi.analyzers.devices.fortios:FortiosAnalyzer",
    "madoguchi.analyzers.devices.netscaler:NetscalerAnalyzer",
    "madoguchi.analyzers.devices.sonicwall:SonicwallAnalyzer",
    "madoguchi.analyzers.esxi:EsxiAnalyzer",
    "madoguchi.analyzers.cloud.aws_cloudtrail:CloudTrailAnalyzer",
    "madoguchi.analyzers.cloud.aws_s3_access:S3AccessLogAnalyzer",
    "madoguchi.analyzers.weblogs:WebAccessLogAnalyzer",
    "madoguchi.analyzers.linux_auth:LinuxAuthAnalyzer",
    "madoguchi.analyzers.disk:DiskImageAnalyzer",
    "madoguchi.analyzers.disk:TriageCollectionAnalyzer",
    "madoguchi.analyzers.netflow:FlowLogAnalyzer",
)


@dataclass(frozen=True)
class BrokenAnalyzer:
    target: str
    reason: str


@dataclass
class Registry:
    analyzers: dict[str, type[Analyzer]] = field(default_factory=dict)
    broken: list[BrokenAnalyzer] = field(default_factory=list)

    def add(self, cls: type[Analyzer]) -> None:
        if not getattr(cls, "name", ""):
            raise ConfigurationError(f"analyzer {cls.__qualname__} has no name")
        if cls.name in self.analyzers and self.analyzers[cls.name] is not cls:
            raise ConfigurationError(
                f"two analyzers are named {cls.name!r}: "
                f"{self.analyzers[cls.name].__module__} and {cls.__module__}"
            )
        self.analyzers[cls.name] = cls

    def __iter__(self) -> Iterator[type[Analyzer]]:
        return iter(self.analyzers.values())

    def get(self, name: str) -> type[Analyzer]:
        return self.analyzers[name]

    def names(self) -> list[str]:
        return list(self.analyzers)


def _import(target: str) -> type[Analyzer]:
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    cls: type[Analyzer] = getattr(module, attr)
    return cls


def load_registry(
    builtin: Iterable[str] = BUILTIN, *, plugins: bool = True, only: Iterable[str] | None = None
) -> Registry:
    """Import every built-in analyzer and every installed plugin.

    ``only`` keeps the analyzers with these names (``madoguchi analyze --analyzer``).
    """
    registry = Registry()
    targets = list(builtin)
    if plugins:
        targets += [ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)]
    for target in targets:
        try:
            cls = _import(target)
        except Exception as error:  # a broken plugin must not stop the others
            registry.broken.append(BrokenAnalyzer(target, f"{type(error).__name__}: {error}"))
            continue
        registry.add(cls)
    if only is not None:
        wanted = set(only)
        unknown = wanted - set(registry.analyzers)
        if unknown:
            raise ConfigurationError("unknown analyzer: " + ", ".join(sorted(unknown)))
        registry.analyzers = {k: v for k, v in registry.analyzers.items() if k in wanted}
    return registry
