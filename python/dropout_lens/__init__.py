"""Dropout Lens runtime probe: dropout masks and modes of a PyTorch training, recorded while it runs.

Without code changes: ``python -m dropout_lens run train.py ARGS`` (or ``dropout-lens probe -- python
train.py ARGS``). From code::

    import dropout_lens
    dropout_lens.attach(model)          # names the model's layers and installs the probe

With Lightning: ``Trainer(callbacks=[dropout_lens.LightningCallback()])`` (defined when Lightning is
importable).
"""

from __future__ import annotations

from typing import Any, Optional

__version__ = "0.1.0"

__all__ = ["attach", "install", "uninstall", "active_probe", "Probe", "__version__"]


def install(run_dir: Optional[str] = None, **options: Any) -> "Probe":
    """Installs the probe in this process (once); returns it. Options: see ``Probe``."""
    from .probe import Probe, active_probe

    import os

    probe = active_probe()
    if probe is None:
        period = os.environ.get("DROPOUT_LENS_PERIOD", "")
        if period.isdigit() and "period" not in options:
            options["period"] = int(period)
        probe = Probe(run_dir, **options).install()
    return probe


def attach(model: Any, run_dir: Optional[str] = None, **options: Any) -> Any:
    """Installs the probe if needed and names ``model``'s layers. Returns ``model``."""
    return install(run_dir, **options).attach(model)


def uninstall() -> None:
    """Writes the final summary and removes every hook and wrapper."""
    from .probe import active_probe

    probe = active_probe()
    if probe is not None:
        probe.close()
        probe.uninstall()


def __getattr__(name: str) -> Any:
    if name in ("Probe", "active_probe"):
        from . import probe

        return getattr(probe, name)
    if name == "LightningCallback":
        try:
            from .lightning import LightningCallback
        except ImportError as error:
            raise ImportError(
                "dropout_lens.LightningCallback needs Lightning (lightning or pytorch_lightning): " + str(error)
            ) from error
        return LightningCallback
    raise AttributeError(name)
