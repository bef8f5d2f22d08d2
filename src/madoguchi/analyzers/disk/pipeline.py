"""Running artefact families one after another: progress, checkpoints, failures as data.

Each family is a generator; its outputs are passed on as they come (never collected),
spooled to the checkpoint when one is kept, and a family that raises becomes a warning
while the others go on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from madoguchi.analyzers.disk.checkpoint import Checkpoint
from madoguchi.analyzers.disk.scope import Family, Scope
from madoguchi.domain.findings import AnalyzerOutput

ProgressCallback = Callable[[int, int, str], None]


def progress_callback(settings: Any) -> ProgressCallback | None:
    candidate = settings.get("progress")
    return candidate if callable(candidate) else None


def open_checkpoint(scope: Scope, version: str) -> Checkpoint | None:
    folder = scope.settings.get("checkpoint_dir")
    if not folder:
        return None
    return Checkpoint(
        Path(folder), analyzer=scope.analyzer, version=version, image_sha256=scope.evidence.sha256
    )


def run_families(
    scope: Scope, families: Sequence[tuple[str, Family]], *, version: str
) -> Iterator[AnalyzerOutput]:
    progress = progress_callback(scope.settings)
    checkpoint = open_checkpoint(scope, version)
    total = len(families)
    resumed = [name for name, _ in families if checkpoint is not None and checkpoint.is_done(name)]
    if resumed:
        scope.ctx.warn(
            "resumed from checkpoint: these artefact families were done in an earlier run and "
            "their results are replayed, not read again: " + ", ".join(resumed),
            path=scope.evidence.path,
        )
    for done, (name, family) in enumerate(families):
        if progress is not None:
            progress(done, total, name)
        scope.start_family(name)
        if checkpoint is not None and checkpoint.is_done(name):
            yield from checkpoint.replay(name)
            continue
        writer = checkpoint.recorder(name) if checkpoint is not None else None
        try:
            for output in family(scope):
                if writer is not None:
                    writer.write(output)
                yield output
        except GeneratorExit:
            if writer is not None:
                writer.abandon()
            raise
        except Exception as error:  # one broken artefact must not stop the others
            scope.warn(f"could not be read: {type(error).__name__}: {_first_line(error)}")
            if writer is not None:
                writer.abandon()
            continue
        if writer is not None:
            writer.commit()
    scope.family = ""
    if progress is not None:
        progress(total, total, "done")


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else ""
