"""Reading a dropout mask back from a layer's input and output, without drawing any random number.

A dropout layer multiplies each unit by 0 or 1/(1-p). From the outside, a unit was dropped when its input
was non-zero and its output is zero. A unit whose input was already zero is *ambiguous* (its output is zero
either way) and is left out of the realized drop fraction; dropout draws its mask independently of the
input, so leaving them out does not bias the fraction.

Alpha dropout sets a dropped unit to a constant instead of zero (``a * alpha' * (p - 1)`` with
``alpha' = 1.7580993408473766``, PyTorch's ``_dropout_impl``); a unit is ambiguous when its input already
equals ``-alpha'`` (a kept unit then lands on the same constant).

Everything here reads tensors and allocates new ones; nothing writes to the tensors the model uses.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Optional

import torch

SELU_ALPHA_PRIME = 1.7580993408473766
"""``-alpha * lambda`` of SELU: the value alpha dropout gives a dropped unit before its affine correction."""

SLICE_UNITS = 64
"""Units of the first sample shown as the mask slice."""

COMPARE_UNITS = 256
"""Units of the flattened tensor kept for comparing masks across ranks (on units unambiguous in both)."""

READ_ROWS = 16
"""Rows (along the first dimension, usually samples) a mask is read from. Dropout draws every unit independently,
so the first rows give an unbiased realized fraction at a fraction of the cost (16 x 512 units: +-0.5 %)."""


def head_rows(tensor: torch.Tensor) -> torch.Tensor:
    """The first ``READ_ROWS`` rows: a view, nothing copied."""
    return tensor[:READ_ROWS] if tensor.dim() > 1 else tensor


@dataclass
class MaskReading:
    """What one dropout call did, read from its input and output."""

    dropped: int
    """Unambiguous units that were dropped."""
    observed: int
    """Unambiguous units (input not already at the dropped value)."""
    mask: str
    """The first sample's first ``SLICE_UNITS`` units: ``1`` kept, ``0`` dropped, ``.`` ambiguous."""
    compare: str
    """The flattened tensor's first ``COMPARE_UNITS`` units, same alphabet: for cross-rank comparison."""
    hash: str
    """8-byte BLAKE2b of the kept/dropped/ambiguous codes of the whole first sample (hex)."""

    @property
    def fraction(self) -> Optional[float]:
        return self.dropped / self.observed if self.observed else None


# code -> character: ambiguous 0 -> '.', dropped 1 -> '0', kept 2 -> '1'
_CODE_CHARS = bytes.maketrans(b"\x00\x01\x02", b".01")


def _bytes(values: torch.Tensor) -> bytes:
    flat = values.reshape(-1).to(torch.uint8).cpu()
    try:
        return flat.numpy().tobytes()
    except (RuntimeError, TypeError):  # numpy missing: slower, the same bytes
        return bytes(flat.tolist())


def alpha_dropped_value(p: float) -> float:
    """The value alpha dropout gives a dropped unit at rate ``p``."""
    a = 1.0 / math.sqrt((SELU_ALPHA_PRIME**2 * p + 1.0) * (1.0 - p))
    return SELU_ALPHA_PRIME * a * (p - 1.0)


def read_mask(
    output: torch.Tensor,
    unambiguous: torch.Tensor,
    *,
    alpha: bool = False,
    p: float = 0.0,
) -> MaskReading:
    """Reads the mask of one dropout call.

    ``unambiguous`` is the boolean tensor ``input != dropped value``, taken before the call (for
    ``inplace=True`` the input *is* the output afterwards), of the input's first ``READ_ROWS`` rows
    (``unambiguous_units`` takes those).
    """
    with torch.no_grad():
        output = head_rows(output)
        if alpha:
            kept = ~torch.isclose(output, torch.full_like(output, alpha_dropped_value(p)), rtol=1e-5, atol=1e-6)
        else:
            kept = output != 0
        # One small tensor of codes: 0 ambiguous, 1 dropped, 2 kept; everything else is read from its bytes.
        codes = unambiguous.to(torch.uint8) + (unambiguous & kept).to(torch.uint8)
        first = codes[0] if codes.dim() > 1 else codes
        data = _bytes(codes)
        first_data = data[: first.numel()]
        observed = len(data) - data.count(0)
        dropped = data.count(1)
        return MaskReading(
            dropped=dropped,
            observed=observed,
            mask=first_data[:SLICE_UNITS].translate(_CODE_CHARS).decode("ascii"),
            compare=data[:COMPARE_UNITS].translate(_CODE_CHARS).decode("ascii"),
            hash=hashlib.blake2b(first_data, digest_size=8).hexdigest(),
        )


def unambiguous_units(input: torch.Tensor, *, alpha: bool = False) -> torch.Tensor:
    """The units whose fate can be read from the output, in the first ``READ_ROWS`` rows: a new boolean tensor
    (safe to keep across an in-place call)."""
    with torch.no_grad():
        input = head_rows(input)
        if alpha:
            return ~torch.isclose(input, torch.full_like(input, -SELU_ALPHA_PRIME), rtol=1e-5, atol=1e-6)
        return input != 0


def same_mask(a: str, b: str, *, min_units: int = 32) -> Optional[bool]:
    """Compares two ``compare`` strings on the units unambiguous in both. ``None`` when fewer than
    ``min_units`` such units exist (too few to tell a shared mask from chance)."""
    both = [(x, y) for x, y in zip(a, b) if x != "." and y != "."]
    if len(both) < min_units:
        return None
    return all(x == y for x, y in both)
