"""Installs the Dropout Lens probe in every Python process a probed script starts (DDP ranks of mp.spawn or
torchrun, workers), as soon as that process imports torch, then hands over to the next ``sitecustomize``
on the path (Debian ships one). On the path only while a probed run is under way (the launcher puts it on
``PYTHONPATH``)."""

import importlib.abc
import importlib.util
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))


class _TorchImportWatcher(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):  # type: ignore[no-untyped-def]
        if name != "torch":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec("torch")
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader = spec.loader
        exec_module = loader.exec_module

        def exec_then_install(module):  # type: ignore[no-untyped-def]
            exec_module(module)
            loader.exec_module = exec_module  # type: ignore[method-assign]
            try:
                import dropout_lens

                dropout_lens.install()
            except Exception as error:  # never stop the user's process
                sys.stderr.write(f"dropout-lens: the probe could not start in process {os.getpid()}: {error}\n")

        loader.exec_module = exec_then_install  # type: ignore[method-assign]
        return spec


def _chain_next_sitecustomize() -> None:
    for entry in sys.path:
        if not entry or os.path.abspath(entry) == _HERE:
            continue
        candidate = os.path.join(entry, "sitecustomize.py")
        if os.path.isfile(candidate):
            spec = importlib.util.spec_from_file_location("_dropout_lens_next_sitecustomize", candidate)
            if spec is not None and spec.loader is not None:
                module = importlib.util.module_from_spec(spec)
                try:
                    spec.loader.exec_module(module)
                except Exception:
                    pass
            return


if os.environ.get("DROPOUT_LENS_RUN_DIR") and "torch" not in sys.modules:
    sys.meta_path.insert(0, _TorchImportWatcher())
_chain_next_sitecustomize()
