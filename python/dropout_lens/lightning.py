"""A Lightning ``Callback`` that attaches the probe on every rank. Importable only with Lightning installed."""

from __future__ import annotations

from typing import Any, Optional

try:
    from lightning.pytorch.callbacks import Callback
except ImportError:  # the older package name
    from pytorch_lightning.callbacks import Callback  # type: ignore[no-redef]


class LightningCallback(Callback):  # type: ignore[misc, valid-type]
    """Attaches the probe in ``setup`` (every rank runs its own) and closes it in ``teardown``."""

    def __init__(self, run_dir: Optional[str] = None, **options: Any) -> None:
        super().__init__()
        self.run_dir = run_dir
        self.options = options

    def setup(self, trainer: Any, pl_module: Any, stage: Optional[str] = None) -> None:
        from . import attach

        attach(pl_module, self.run_dir, **self.options)

    def teardown(self, trainer: Any, pl_module: Any, stage: Optional[str] = None) -> None:
        from .probe import active_probe

        probe = active_probe()
        if probe is not None:
            probe.close()
