"""Run-time findings: the static rules' ids, observed while the script ran, at the user's source lines."""

from __future__ import annotations

from typing import Callable, Optional

RULES = (
    "missing-eval",
    "missing-train-after-eval",
    "functional-dropout-no-training-flag",
    "dropout-never-active",
    "identical-masks-across-ranks",
)

MAX_FINDINGS = 500


class FindingSet:
    """Findings of one process, one per (rule, file, line), counting repeats. Bounded."""

    def __init__(self, on_new: Optional[Callable[[dict], None]] = None) -> None:
        self._by_key: dict[tuple[str, str, int], dict] = {}
        self._on_new = on_new

    def add(self, rule: str, file: str, line: int, message: str, step: int) -> None:
        key = (rule, file, line)
        found = self._by_key.get(key)
        if found is not None:
            found["count"] += 1
            return
        if len(self._by_key) >= MAX_FINDINGS:
            return
        found = self._by_key[key] = {
            "rule": rule,
            "file": file,
            "line": line,
            "message": message,
            "step": step,
            "count": 1,
            "observed": "runtime",
        }
        if self._on_new is not None:
            self._on_new(dict(found))

    def json(self) -> list[dict]:
        return [dict(f) for f in self._by_key.values()]

    def rules(self) -> set[str]:
        return {f["rule"] for f in self._by_key.values()}

    def __len__(self) -> int:
        return len(self._by_key)
