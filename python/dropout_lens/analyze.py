"""Reading a run folder back: the per-rank summaries, merged, and the findings only several ranks together
can show (``identical-masks-across-ranks``). Used by the launcher when the script ends, and by
``python -m dropout_lens summarize RUN_DIR`` for a run whose script was killed."""

from __future__ import annotations

import glob
import os
import re
from typing import Any, Optional

from .masks import same_mask
from .records import read_records

_RANK_FILE = re.compile(r"^(rank-(\d+)|proc-(\d+))\.ndjson$")

MIN_COMPARED = 3
"""Sampled calls two ranks must share before equal masks count as a finding."""


def rank_files(run_dir: str) -> list[str]:
    return sorted(p for p in glob.glob(os.path.join(run_dir, "*.ndjson")) if _RANK_FILE.match(os.path.basename(p)))


def _rank_of(path: str, records: list[dict]) -> Any:
    rank: Any = None
    for r in records:
        if r.get("t") in ("header", "rank") and r.get("rank") is not None:
            rank = r["rank"]
    if rank is None:
        m = _RANK_FILE.match(os.path.basename(path))
        rank = int(m.group(2)) if m and m.group(2) else f"pid {m.group(3)}" if m else None
    return rank


def summarize(run_dir: str) -> dict:
    """The run's summary: ranks, per-rank modules and findings, and the cross-rank findings."""
    per_rank: list[tuple[Any, list[dict]]] = []
    for path in rank_files(run_dir):
        records = read_records(path)
        per_rank.append((_rank_of(path, records), records))
    modules: list[dict] = []
    findings: list[dict] = []
    steps = 0
    for rank, records in per_rank:
        summary: Optional[dict] = None
        seen_findings: dict[tuple, dict] = {}
        for r in records:
            t = r.get("t")
            if t == "summary":
                summary = r
            elif t == "finding":
                seen_findings.setdefault((r.get("rule"), r.get("file"), r.get("line")), r)
        if summary is not None:
            steps = max(steps, int(summary.get("steps") or 0))
            for m in summary.get("modules", []):
                modules.append({**m, "rank": rank})
            for f in summary.get("findings", []):
                seen_findings[(f.get("rule"), f.get("file"), f.get("line"))] = f
        else:  # killed before its first summary: what the sampled forwards show
            partial, last_step = _modules_from_forwards(records)
            steps = max(steps, last_step)
            modules.extend({**m, "rank": rank} for m in partial)
        for f in seen_findings.values():
            findings.append({k: v for k, v in f.items() if k != "t"} | {"rank": rank})
    findings.extend(identical_masks(per_rank))
    return {
        "kind": "probe",
        "ranks": len(per_rank),
        "steps": steps,
        "modules": modules,
        "findings": findings,
    }


def _modules_from_forwards(records: list[dict]) -> tuple[list[dict], int]:
    """Per dropout, from the sampled forwards only (``partial``: the calls between samples are not counted)."""
    by_name: dict[str, dict] = {}
    last_step = 0
    for r in records:
        if r.get("t") != "fwd":
            continue
        last_step = max(last_step, int(r.get("step", 0)))
        for call in r.get("calls", []):
            m = by_name.setdefault(
                call.get("name", "?"),
                {"name": call.get("name", "?"), "kind": call.get("kind"), "p": call.get("p", 0.0), "trainCalls": 0,
                 "evalCalls": 0, "dropped": 0, "observed": 0, "sampledCalls": 0, "partial": True},
            )
            m["trainCalls" if call.get("training") else "evalCalls"] += 1
            m["mode"] = "train" if call.get("training") else "eval"  # of its last sampled call
            if call.get("n"):
                m["observed"] += int(call["n"])
                m["dropped"] += round(float(call.get("drop") or 0.0) * int(call["n"]))
                m["sampledCalls"] += 1
    for m in by_name.values():
        m["realizedDrop"] = m["dropped"] / m["observed"] if m["observed"] else None
    return list(by_name.values()), last_step


def _masks_by_step(records: list[dict]) -> dict[tuple[int, str], tuple[str, dict]]:
    out: dict[tuple[int, str], tuple[str, dict]] = {}
    for r in records:
        if r.get("t") != "fwd":
            continue
        for call in r.get("calls", []):
            cmp = call.get("cmp")
            if cmp and call.get("training"):
                out.setdefault((int(r.get("step", -1)), call.get("name", "")), (cmp, r))
    return out


def identical_masks(per_rank: list[tuple[Any, list[dict]]]) -> list[dict]:
    """Ranks whose dropout masks agree on every compared call (on units unambiguous in both): the same RNG
    seed on every rank (huggingface/transformers#31412)."""
    if len(per_rank) < 2:
        return []
    masks = [(rank, _masks_by_step(records)) for rank, records in per_rank]
    base_rank, base = masks[0]
    twins = [base_rank]
    compared_total = 0
    where: Optional[dict] = None
    layers: set[str] = set()
    for rank, other in masks[1:]:
        compared = equal = 0
        for key, (cmp, record) in base.items():
            if key not in other:
                continue
            same = same_mask(cmp, other[key][0])
            if same is None:
                continue
            compared += 1
            if same:
                equal += 1
                layers.add(key[1])
                where = where or record
        if compared >= MIN_COMPARED and equal == compared:
            twins.append(rank)
            compared_total += compared
    if len(twins) < 2 or where is None or "file" not in where:
        return []
    ranks = ", ".join(str(r) for r in twins)
    return [
        {
            "rule": "identical-masks-across-ranks",
            "file": where["file"],
            "line": where["line"],
            "message": (
                f"observed at run time: ranks {ranks} drew identical dropout masks in every compared call "
                f"({compared_total} calls; {', '.join(sorted(layers))}): every rank drops the same units, so "
                "data parallelism averages one mask; seed each rank differently (e.g. seed + rank)"
            ),
            "step": 0,
            "count": compared_total,
            "observed": "runtime",
            "rank": twins[0],
            "ranks": twins,
        }
    ]
