"""The runtime probe: sees every dropout and batch-norm call of a PyTorch process and records masks and modes.

How it sees, without any change to the user's code:

- Global module hooks (``register_module_forward_pre_hook`` / ``register_module_forward_hook``) keep a stack
  of the modules whose forward is running. An empty stack marks a *root* forward (the user's ``model(x)``);
  names come from that root's ``named_modules()`` (a DDP or DataParallel wrapper is looked through).
- ``torch.nn.functional.dropout`` and its 1d/2d/3d/alpha variants are replaced by wrappers that attribute
  each call to the module on top of the stack. ``nn.Dropout`` itself calls ``F.dropout``; those calls are
  the module's and are left to the module hooks. ``multi_head_attention_forward`` looks ``dropout`` up in
  the functional module's globals, so its attention-weight dropout is seen too.
  ``scaled_dot_product_attention`` (PyTorch 2.x) draws its mask inside a fused kernel: its calls are
  counted with their ``dropout_p``, and no mask is ever shown for them.
- ``optimizer.step`` is the step clock: a global step post-hook on PyTorch 2.x, and on 1.13 the no-op
  ``Optimizer._optimizer_step_code`` that every step calls (it exists as a profiler entry point).

It never changes the training: hooks return nothing, the wrappers pass their arguments through unchanged,
mask reading allocates new tensors only, and nothing here draws a random number or touches any RNG state
(the run id comes from ``os.urandom``). The probe's own errors are caught and stop the recording, never the
script.

Sampling: masks are read on sampled steps only: steps that are multiples of ``period``, at most
``per_step`` root forwards each. With the default ``period=None`` the period starts at 1 and doubles
whenever records come faster than ``max_rate`` per second, or the sampled work takes more than ``budget``
(0.5 %) of the wall time. Periods are powers of two, so DDP ranks that
settle on different periods still share the sampled steps of the larger one. Modes and counters are cheap
and are kept for every call.
"""

from __future__ import annotations

import atexit
import collections
import math
import os
import re
import sys
import threading
import time
import traceback
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional

import torch
import torch.nn.functional as F
from torch import nn

from . import findings as rules
from .masks import MaskReading, read_mask, unambiguous_units
from .records import DEFAULT_MAX_BYTES, RecordWriter
from .runs import RunFolder

PROBE_FORMAT = "dropout-lens/probe@1"

MAX_STATS = 2000
"""Dropout modules and functional call sites with counters; beyond it (models created in a loop, say) new ones
are not counted, so memory stays bounded."""

_TORCH_DIR = os.path.dirname(torch.__file__) + os.sep
_PROBE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep

DROPOUT_KINDS = {
    nn.Dropout: "Dropout",
    nn.Dropout1d: "Dropout1d",
    nn.Dropout2d: "Dropout2d",
    nn.Dropout3d: "Dropout3d",
    nn.AlphaDropout: "AlphaDropout",
    nn.FeatureAlphaDropout: "FeatureAlphaDropout",
}
_ALPHA_KINDS = {"AlphaDropout", "FeatureAlphaDropout", "F.alpha_dropout", "F.feature_alpha_dropout"}
_BATCHNORM_BASE = nn.modules.batchnorm._BatchNorm
_DROPOUT_BASE = nn.modules.dropout._DropoutNd

FUNCTIONAL = ("dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout")

_VALIDATION_NAME = re.compile(r"(^|_)(val|valid|validate|validation|eval|evaluate|evaluation|test|predict)(_|$)")

_active: Optional["Probe"] = None


def active_probe() -> Optional["Probe"]:
    return _active


def _kind_of_type(cls: type) -> Optional[str]:
    kind = DROPOUT_KINDS.get(cls)
    if kind is not None:
        return kind
    for base, name in DROPOUT_KINDS.items():
        if issubclass(cls, base):
            return name
    if issubclass(cls, _DROPOUT_BASE):
        return "Dropout"
    if issubclass(cls, _BATCHNORM_BASE):
        return "BatchNorm"
    return None


def user_frame(
    skip: tuple[str, ...] = (_TORCH_DIR, _PROBE_DIR), depth: int = 1
) -> Optional[tuple[str, int, str]]:
    """The innermost frame outside torch and the probe: (file, line, function). ``depth``: where to start
    looking (a caller that knows how many of its own frames sit on top skips them)."""
    try:
        f: Any = sys._getframe(depth)
    except ValueError:
        f = sys._getframe(1)
    while f is not None:
        name = f.f_code.co_filename
        if not name.startswith(skip) and not name.startswith("<frozen"):
            return os.path.abspath(name) if not name.startswith("<") else name, f.f_lineno, f.f_code.co_name
        f = f.f_back
    return None


@dataclass
class ModuleStats:
    """Counters of one dropout module, or of one functional dropout call line inside a module."""

    name: str
    kind: str
    p: float
    site: Optional[tuple[str, int]] = None
    train_calls: int = 0
    eval_calls: int = 0
    dropped: int = 0
    observed: int = 0
    sampled: int = 0
    functional: bool = False
    fused: bool = False
    #: Whether its last call was in train mode (dropping): the mode the panel ends on, sampled or not.
    last_training: Optional[bool] = None

    def json(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "p": self.p,
            "trainCalls": self.train_calls,
            "evalCalls": self.eval_calls,
            "realizedDrop": (self.dropped / self.observed) if self.observed else None,
            "dropped": self.dropped,
            "observed": self.observed,
            "sampledCalls": self.sampled,
            **({"mode": "train" if self.last_training else "eval"} if self.last_training is not None else {}),
            **({"file": self.site[0], "line": self.site[1]} if self.site else {}),
            **({"functional": True} if self.functional else {}),
            **({"fused": True, "note": "mask drawn inside a fused kernel: not observable"} if self.fused else {}),
        }


@dataclass
class _Forward:
    """One root forward in progress."""

    root: nn.Module
    sampled: bool
    step: int
    calls: list = field(default_factory=list)
    active_without_grad: list = field(default_factory=list)
    active: list = field(default_factory=list)


class _Local(threading.local):
    def __init__(self) -> None:
        self.stack: list[nn.Module] = []
        self.pending: list[Any] = []
        self.fwd: Optional[_Forward] = None


class Probe:
    """Global probe. One is active per process (``install`` replaces none: it refuses a second)."""

    def __init__(
        self,
        run_dir: Optional[str] = None,
        *,
        period: Optional[int] = None,
        max_rate: float = 30.0,
        budget: float = 0.005,
        per_step: int = 2,
        max_bytes: int = DEFAULT_MAX_BYTES,
        ring: int = 256,
        summary_every: float = 5.0,
        write_run: Optional[bool] = None,
    ) -> None:
        self.run_dir = run_dir
        self.fixed_period = period
        self.period = max(1, int(period)) if period else 1
        self.max_rate = max_rate
        self.budget = budget
        self.per_step = per_step
        self.max_bytes = max_bytes
        self.summary_every = summary_every
        self._write_run = write_run
        self.recent: collections.deque = collections.deque(maxlen=ring)
        self.step = 0
        self.rank: Optional[int] = None
        self.world: Optional[int] = None
        self.findings = rules.FindingSet(on_new=self._on_finding)
        self.stats: dict[Any, ModuleStats] = {}
        self.broken: Optional[str] = None
        self.failure: Optional[str] = None
        self.run: Optional[RunFolder] = None
        self.writer: Optional[RecordWriter] = None
        self._local = _Local()
        self._names: "weakref.WeakKeyDictionary[nn.Module, str]" = weakref.WeakKeyDictionary()
        self._sites: "weakref.WeakKeyDictionary[nn.Module, tuple[str, int]]" = weakref.WeakKeyDictionary()
        self._tracked: "weakref.WeakKeyDictionary[nn.Module, list]" = weakref.WeakKeyDictionary()
        self._roots: "weakref.WeakSet[nn.Module]" = weakref.WeakSet()
        self._roots_version = 0
        self._opt_roots: dict[int, tuple[int, list]] = {}
        self._opt_steps: dict[int, int] = {}
        self._kinds: dict[type, Optional[str]] = {}
        self._sample_step = -1
        self._in_step = 0
        self._window_start = time.perf_counter()
        self._window_samples = 0
        self._sample_cost = 0.0
        self._sample_seconds = 0.0
        self._last_summary = time.monotonic()
        self._handles: list[Any] = []
        self._saved: list[tuple[Any, str, Any]] = []
        self._installed = False
        self._uninstalled_at: Optional[float] = None
        self._exit_registered = False
        self._closed = False
        self._lock = threading.Lock()

    # ---------- install / uninstall ----------

    def install(self) -> "Probe":
        global _active
        if self._installed:
            return self
        if _active is not None and _active is not self:
            raise RuntimeError("a Dropout Lens probe is already installed in this process")
        _active = self
        reg = nn.modules.module
        self._handles.append(reg.register_module_forward_pre_hook(self._pre_hook))
        try:  # PyTorch >= 2.1: the exit hook runs even when a forward raises, so the module stack stays right
            self._handles.append(reg.register_module_forward_hook(self._post_hook, always_call=True))
        except TypeError:
            self._handles.append(reg.register_module_forward_hook(self._post_hook))
        wrappers = []
        for name in FUNCTIONAL:
            original = getattr(F, name, None)
            if original is not None:
                wrappers.append(_functional_wrapper(original, "F." + name, "alpha" in name))
                self._patch(F, name, wrappers[-1])
        sdpa = getattr(F, "scaled_dot_product_attention", None)
        if sdpa is not None:
            wrappers.append(_sdpa_wrapper(sdpa))
            self._patch(F, "scaled_dot_product_attention", wrappers[-1])
        self._patch(torch.jit, "script", _jit_script_wrapper(torch.jit.script, wrappers))
        self._install_step_clock()
        for base in (_DROPOUT_BASE, _BATCHNORM_BASE):
            self._patch(base, "__init__", _site_recording_init(base.__init__, self))
        self._installed = True
        if self._uninstalled_at is not None:  # the sampling window counts only installed time
            self._window_start += time.perf_counter() - self._uninstalled_at
            self._uninstalled_at = None
        if self._exit_registered:
            return self
        self._exit_registered = True
        atexit.register(self.close)
        # A script that dies of an exception ends its own run (attach() without the launcher) as failed.
        previous_hook = sys.excepthook

        def excepthook(kind: Any, value: Any, tb: Any) -> None:
            self.failure = "".join(traceback.format_exception(kind, value, tb))
            previous_hook(kind, value, tb)

        sys.excepthook = excepthook
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._after_fork)
        try:  # multiprocessing children (mp.spawn ranks) run their finalizers, not always atexit
            import multiprocessing.util as mp_util

            mp_util.Finalize(self, Probe.close, args=(self,), exitpriority=100)
        except Exception:
            pass
        return self

    def _after_fork(self) -> None:
        """A forked child (a DataLoader worker, a fork-started rank) starts its own record: it must not write the
        parent's counters, findings or run status into the parent's file."""
        if self.writer is not None:
            self.writer.close()  # the child's copy of the descriptor only
        self.writer = None
        self.stats = {}
        self.findings = rules.FindingSet(on_new=self._on_finding)
        self.step = 0
        self._opt_steps = {}
        self._opt_roots = {}
        self.rank = self.world = None
        self._local = _Local()
        self.recent.clear()
        self._lock = threading.Lock()
        if self.run is not None:
            self.run = RunFolder(self.run.path, None, owned=False)

    def _patch(self, owner: Any, name: str, value: Any) -> None:
        self._saved.append((owner, name, owner.__dict__.get(name, getattr(owner, name))))
        setattr(owner, name, value)

    def _install_step_clock(self) -> None:
        import torch.optim.optimizer as optim_module

        register = getattr(optim_module, "register_optimizer_step_post_hook", None)
        if register is not None:
            self._handles.append(register(lambda opt, args, kwargs: self._after_step(opt)))
            return
        Optimizer = torch.optim.Optimizer
        if hasattr(Optimizer, "_optimizer_step_code"):
            original = Optimizer._optimizer_step_code
            probe = self

            def _optimizer_step_code(opt: Any) -> None:
                original(opt)
                probe._after_step(opt)

            self._patch(Optimizer, "_optimizer_step_code", _optimizer_step_code)

    def uninstall(self) -> None:
        global _active
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        for owner, name, value in reversed(self._saved):
            setattr(owner, name, value)
        self._saved.clear()
        self._installed = False
        self._uninstalled_at = time.perf_counter()
        if _active is self:
            _active = None

    # ---------- names ----------

    def attach(self, model: nn.Module) -> nn.Module:
        """Names ``model``'s modules now (before its first forward) and makes sure the probe is installed."""
        self.install()
        self._ensure_names(model)
        return model

    def _ensure_names(self, root: nn.Module) -> None:
        if root in self._tracked:
            return
        inner = root.module if type(root).__name__ in ("DistributedDataParallel", "DataParallel") else root
        prefix = self._names.get(inner)
        tracked = []
        for name, module in inner.named_modules():
            full = ".".join(x for x in (prefix, name) if x) if prefix is not None else name
            if module not in self._names:
                self._names[module] = full or type(inner).__name__
            kind = self._kind(module)
            if kind is not None:
                tracked.append((self._names[module], module, kind))
        self._names.setdefault(root, self._names[inner])
        self._tracked[root] = tracked
        if inner is not root:
            self._tracked[inner] = tracked
        if not tracked:
            return  # a loss module, or a model with only functional dropout (its calls are recorded as they run)
        self._emit(
            {
                "t": "model",
                "root": type(inner).__name__,
                "modules": [
                    {
                        "name": n,
                        "kind": k,
                        **({"p": float(m.p)} if k != "BatchNorm" else {}),
                        **(
                            {"file": self._sites[m][0], "line": self._sites[m][1]}
                            if m in self._sites
                            else {}
                        ),
                    }
                    for n, m, k in tracked
                ],
            }
        )

    def _kind(self, module: nn.Module) -> Optional[str]:
        cls = type(module)
        try:
            return self._kinds[cls]
        except KeyError:
            kind = self._kinds[cls] = _kind_of_type(cls)
            return kind

    def name_of(self, module: Optional[nn.Module]) -> str:
        if module is None:
            return "<no module>"
        name = self._names.get(module)
        return name if name is not None else type(module).__name__

    # ---------- hooks ----------

    def _pre_hook(self, module: nn.Module, inputs: tuple) -> None:
        if self.broken:
            return
        try:
            local = self._local
            if not local.stack:
                self._root_enter(module)
            local.stack.append(module)
            kind = self._kind(module)
            if kind is not None and kind != "BatchNorm":
                self._dropout_enter(module, kind, inputs)
        except Exception as error:  # the probe must never break the script
            self._fail(error)

    def _post_hook(self, module: nn.Module, inputs: tuple, output: Any) -> None:
        if self.broken:
            return
        try:
            local = self._local
            stack = local.stack
            if stack and stack[-1] is module:
                stack.pop()
            elif module in stack:  # a forward raised below us: its exit hooks never ran
                del stack[stack.index(module) :]
            kind = self._kind(module)
            if kind is not None and kind != "BatchNorm":
                self._dropout_exit(module, kind, output)
            if not stack:
                self._root_exit(module)
        except Exception as error:
            self._fail(error)

    def _root_enter(self, root: nn.Module) -> None:
        self._ensure_names(root)
        if root not in self._roots:
            self._roots.add(root)
            self._roots_version += 1
        step = self.step
        if step != self._sample_step:
            self._sample_step = step
            self._in_step = 0
        sampled = step % self.period == 0 and self._in_step < self.per_step
        if sampled:
            self._in_step += 1
        self._local.fwd = _Forward(root=root, sampled=sampled, step=step)
        self._local.pending = []

    def _root_exit(self, root: nn.Module) -> None:
        fwd = self._local.fwd
        self._local.fwd = None
        if fwd is None or fwd.root is not root:
            return
        site = None
        if fwd.active:
            # _root_exit <- _post_hook <- Module._call_impl <- the user's call, usually: start there.
            site = user_frame(depth=4)
            self._check_missing_eval(fwd, site)
        if fwd.sampled:
            if not fwd.calls and not self._tracked.get(root):
                self._in_step -= 1  # nothing to show (a loss module): the slot goes to the next forward
                return
            if site is None:
                site = user_frame(depth=4)
            self._record_forward(fwd, site)

    def _check_missing_eval(self, fwd: _Forward, site: Optional[tuple[str, int, str]]) -> None:
        if site is None:
            return
        tracked = self._tracked.get(fwd.root, [])
        if any(not m.training for _, m, _ in tracked) or not fwd.root.training:
            # Dropout switched on by hand in a model otherwise in eval: Monte Carlo dropout, on purpose.
            return
        layers = ", ".join(sorted(set(fwd.active_without_grad or fwd.active)))
        if fwd.active_without_grad:
            mode = "inference_mode" if torch.is_inference_mode_enabled() else "no_grad"
            self.findings.add(
                "missing-eval",
                site[0],
                site[1],
                f"observed at run time: a forward under {mode} (step {fwd.step}) ran with dropout in train mode "
                f"({layers}): call model.eval() before evaluating",
                self.step,
            )
        elif _VALIDATION_NAME.search(site[2]) and "train" not in site[2]:
            self.findings.add(
                "missing-eval",
                site[0],
                site[1],
                f"observed at run time: a forward in {site[2]}() (step {fwd.step}) ran with dropout in train mode "
                f"({layers}): call model.eval() before evaluating",
                self.step,
            )

    def _dropout_enter(self, module: nn.Module, kind: str, inputs: tuple) -> None:
        p = float(module.p)
        stats = self.stats.get(id(module))
        if stats is None:
            stats = ModuleStats(self.name_of(module), kind, p, self._sites.get(module))
            if len(self.stats) < MAX_STATS:
                self.stats[id(module)] = stats
        active = module.training and p > 0
        stats.last_training = bool(module.training)
        if module.training:
            stats.train_calls += 1
        else:
            stats.eval_calls += 1
        fwd = self._local.fwd
        unambiguous = None
        if fwd is not None and active:
            fwd.active.append(stats.name)
            if not torch.is_grad_enabled() or torch.is_inference_mode_enabled():
                fwd.active_without_grad.append(stats.name)
            if fwd.sampled and inputs and isinstance(inputs[0], torch.Tensor):
                # For inplace=True the output overwrites this very tensor: read it now.
                started = time.perf_counter()
                unambiguous = unambiguous_units(inputs[0], alpha=kind in _ALPHA_KINDS)
                self._sample_cost += time.perf_counter() - started
        self._local.pending.append((module, stats, unambiguous, active))

    def _dropout_exit(self, module: nn.Module, kind: str, output: Any) -> None:
        pending = self._local.pending
        entry = None
        while pending:
            entry = pending.pop()
            if entry[0] is module:
                break
            entry = None
        if entry is None:
            return
        _, stats, unambiguous, active = entry
        fwd = self._local.fwd
        if fwd is not None and fwd.sampled:
            started = time.perf_counter()
            reading = None
            if unambiguous is not None and isinstance(output, torch.Tensor):
                reading = read_mask(output, unambiguous, alpha=kind in _ALPHA_KINDS, p=stats.p)
            self._record_call(fwd, stats, module.training, reading)
            self._sample_cost += time.perf_counter() - started

    # ---------- functional dropout ----------

    def functional(
        self,
        original: Callable,
        kind: str,
        alpha: bool,
        args: tuple,
        kwargs: dict,
        p: float,
        training: bool,
        inplace: bool,
        caller: Any,
    ) -> Any:
        """Runs one functional dropout call (``original(*args, **kwargs)``, unchanged) and records it."""
        try:
            local = self._local
            owner = local.stack[-1] if local.stack else None
            key = (id(owner), caller.f_code, caller.f_lineno)
            stats = self.stats.get(key)
            if stats is None:
                site = user_frame()
                where = f"{os.path.basename(site[0])}:{site[1]}" if site else "?"
                stats = ModuleStats(
                    f"{self.name_of(owner)} ({kind} at {where})",
                    kind,
                    float(p),
                    (site[0], site[1]) if site else None,
                    functional=True,
                )
                if len(self.stats) < MAX_STATS:
                    self.stats[key] = stats
            active = bool(training) and float(p) > 0
            stats.last_training = bool(training)
            if training:
                stats.train_calls += 1
            else:
                stats.eval_calls += 1
            fwd = local.fwd
            unambiguous = None
            if active:
                if owner is not None and not owner.training and stats.site is not None:
                    self.findings.add(
                        "functional-dropout-no-training-flag",
                        stats.site[0],
                        stats.site[1],
                        f"observed at run time: {kind}(p={float(p):g}) dropped units while "
                        f"{self.name_of(owner)} was in eval mode (step {self.step}): pass training=self.training",
                        self.step,
                    )
                if fwd is not None and (owner is None or owner.training):
                    fwd.active.append(stats.name)
                    if not torch.is_grad_enabled() or torch.is_inference_mode_enabled():
                        fwd.active_without_grad.append(stats.name)
                if fwd is not None and fwd.sampled and args and isinstance(args[0], torch.Tensor):
                    started = time.perf_counter()
                    unambiguous = unambiguous_units(args[0], alpha=alpha)
                    self._sample_cost += time.perf_counter() - started
        except Exception as error:
            self._fail(error)
            return original(*args, **kwargs)
        output = original(*args, **kwargs)
        try:
            if fwd is not None and fwd.sampled:
                started = time.perf_counter()
                reading = None
                if unambiguous is not None and isinstance(output, torch.Tensor):
                    reading = read_mask(output, unambiguous, alpha=alpha, p=float(p))
                self._record_call(fwd, stats, bool(training), reading)
                self._sample_cost += time.perf_counter() - started
        except Exception as error:
            self._fail(error)
        return output

    def fused(self, dropout_p: float, caller: Any) -> None:
        """A fused attention call: its dropout is counted, its mask is not observable."""
        try:
            local = self._local
            owner = local.stack[-1] if local.stack else None
            key = (id(owner), caller.f_code, caller.f_lineno)
            stats = self.stats.get(key)
            if stats is None:
                site = user_frame()
                stats = ModuleStats(
                    f"{self.name_of(owner)} (scaled_dot_product_attention)",
                    "F.scaled_dot_product_attention",
                    float(dropout_p),
                    (site[0], site[1]) if site else None,
                    functional=True,
                    fused=True,
                )
                if len(self.stats) < MAX_STATS:
                    self.stats[key] = stats
            stats.p = float(dropout_p)
            stats.last_training = dropout_p > 0
            if dropout_p > 0:
                stats.train_calls += 1
                if owner is not None and not owner.training and stats.site is not None:
                    self.findings.add(
                        "functional-dropout-no-training-flag",
                        stats.site[0],
                        stats.site[1],
                        f"observed at run time: scaled_dot_product_attention(dropout_p={dropout_p:g}) ran while "
                        f"{self.name_of(owner)} was in eval mode: it always drops; pass "
                        "dropout_p=p if self.training else 0.0",
                        self.step,
                    )
            else:
                stats.eval_calls += 1
        except Exception as error:
            self._fail(error)

    # ---------- records ----------

    def _record_call(self, fwd: _Forward, stats: ModuleStats, training: bool, reading: Optional[MaskReading]) -> None:
        call: dict[str, Any] = {"name": stats.name, "kind": stats.kind, "p": stats.p, "training": training}
        if reading is not None:
            stats.dropped += reading.dropped
            stats.observed += reading.observed
            stats.sampled += 1
            call.update(
                drop=reading.fraction,
                n=reading.observed,
                mask=reading.mask,
                hash=reading.hash,
                cmp=reading.compare,
            )
        fwd.calls.append(call)

    def _record_forward(self, fwd: _Forward, site: Optional[tuple[str, int, str]]) -> None:
        started = time.perf_counter()
        now = time.time()
        tracked = self._tracked.get(fwd.root, [])
        record = {
            "t": "fwd",
            "step": fwd.step,
            "time": now,
            "root": self.name_of(fwd.root),
            "grad": torch.is_grad_enabled(),
            "inference": torch.is_inference_mode_enabled(),
            "training": fwd.root.training,
            **({"file": site[0], "line": site[1], "function": site[2]} if site else {}),
            "calls": fwd.calls,
            "modes": {name: int(m.training) for name, m, _ in tracked},
        }
        self.recent.append(record)
        self._emit(record)
        self._sample_cost += time.perf_counter() - started
        self._adapt_period()

    def _adapt_period(self) -> None:
        """Raises the period (by powers of two) when the last samples came faster than ``max_rate`` or their
        work took more than ``budget`` of the wall time: in one step, by the factor it was over."""
        if self.fixed_period:
            self._sample_seconds += self._sample_cost
            self._sample_cost = 0.0
            return
        self._window_samples += 1
        if self._window_samples < 8:
            return
        now = time.perf_counter()
        elapsed = max(now - self._window_start, 1e-9)
        over = max(self._window_samples / elapsed / self.max_rate, self._sample_cost / elapsed / self.budget)
        if over > 1:
            factor = 1 << max(1, math.ceil(math.log2(over)))
            self.period = min(self.period * factor, 1 << 16)
        self._sample_seconds += self._sample_cost
        self._window_start, self._window_samples, self._sample_cost = now, 0, 0.0

    @property
    def sample_seconds(self) -> float:
        """Time spent reading and recording masks so far (the hooks' bookkeeping on every call not included)."""
        return self._sample_seconds + self._sample_cost

    def _after_step(self, optimizer: Any) -> None:
        if self.broken:
            return
        try:
            key = id(optimizer)
            n = self._opt_steps.get(key, 0) + 1
            self._opt_steps[key] = n
            if n > self.step:
                self.step = n
            if self._local.stack:  # a forward raised: its exit hooks never ran
                self._local.stack.clear()
                self._local.fwd = None
            for root in self._roots_of(optimizer):
                evaluating = [
                    name for name, m, kind in self._tracked.get(root, []) if kind != "BatchNorm" and m.p > 0 and not m.training
                ]
                if evaluating:
                    site = user_frame()
                    if site:
                        self.findings.add(
                            "missing-train-after-eval",
                            site[0],
                            site[1],
                            f"observed at run time: optimizer.step() (step {n}) updated {self.name_of(root)} while its "
                            f"dropout was in eval mode ({', '.join(evaluating)}): call model.train() after evaluating",
                            n,
                        )
            now = time.monotonic()
            if now - self._last_summary >= self.summary_every:
                self._last_summary = now
                self._emit(self.summary())
        except Exception as error:
            self._fail(error)

    def _roots_of(self, optimizer: Any) -> list:
        cached = self._opt_roots.get(id(optimizer))
        if cached is not None and cached[0] == self._roots_version:
            return [r for r in (ref() for ref in cached[1]) if r is not None]
        params = {id(p) for group in optimizer.param_groups for p in group["params"]}
        roots = [r for r in list(self._roots) if any(id(p) in params for p in r.parameters())]
        if len(self._opt_roots) > 1000:  # optimizers created in a loop: forget the old ones
            self._opt_roots.clear()
        self._opt_roots[id(optimizer)] = (self._roots_version, [weakref.ref(r) for r in roots])
        return roots

    def _on_finding(self, finding: dict) -> None:
        self._emit({"t": "finding", **finding})

    def summary(self) -> dict:
        return {
            "t": "summary",
            "time": time.time(),
            "steps": self.step,
            "period": self.period,
            "modules": [s.json() for s in list(self.stats.values())],
            "findings": self.findings.json(),
            **({"broken": self.broken} if self.broken else {}),
        }

    # ---------- the record file ----------

    def _detect_rank(self) -> None:
        try:
            import torch.distributed as dist

            if dist.is_available() and dist.is_initialized():
                self.rank, self.world = dist.get_rank(), dist.get_world_size()
                return
        except Exception:
            pass
        if os.environ.get("RANK", "").isdigit():
            self.rank = int(os.environ["RANK"])
            world = os.environ.get("WORLD_SIZE", "")
            self.world = int(world) if world.isdigit() else None
            return
        import multiprocessing

        main_pid = os.environ.get("DROPOUT_LENS_MAIN_PID", str(os.getpid()))
        if multiprocessing.parent_process() is None and main_pid == str(os.getpid()):
            self.rank, self.world = 0, 1

    def _header(self) -> dict:
        return {
            "t": "header",
            "format": PROBE_FORMAT,
            "pid": os.getpid(),
            "rank": self.rank,
            "world": self.world,
            "torch": torch.__version__,
            "python": sys.version.split()[0],
            "argv": sys.argv,
            "time": time.time(),
        }

    def _emit(self, record: dict) -> None:
        with self._lock:
            if self._closed and record.get("t") not in ("summary", "end"):
                return
            if self.writer is None:
                self._open_writer()
            elif self.rank is None and record.get("t") == "fwd":
                self._detect_rank()
                if self.rank is not None and self.writer is not None:
                    self.writer.set_header(self._header())
                    self.writer.write({"t": "rank", "rank": self.rank, "world": self.world})
            if self.writer is not None:
                self.writer.write(record)

    def _open_writer(self) -> None:
        if self.run is None:
            self.run = RunFolder.open_or_create(self.run_dir, write_run=self._write_run)
        self._detect_rank()
        name = f"rank-{self.rank}.ndjson" if self.rank is not None else f"proc-{os.getpid()}.ndjson"
        self.writer = RecordWriter(os.path.join(self.run.path, name), max_bytes=self.max_bytes, header=self._header())

    def _fail(self, error: BaseException) -> None:
        if self.broken:
            return
        self.broken = f"{type(error).__name__}: {error}"
        sys.stderr.write(
            "dropout-lens: the probe hit an internal error and stopped recording (the script is unaffected):\n"
            + "".join(traceback.format_exception(type(error), error, error.__traceback__, limit=4))
        )

    def close(self, status: Optional[str] = None) -> None:
        """Adds the run-end findings, writes the final summary and closes the file. Idempotent."""
        if self._closed:
            return
        try:
            self._end_findings()
            if self.writer is not None or self.stats:
                self._emit(self.summary())
                self._emit({"t": "end", "time": time.time(), **({"status": status} if status else {})})
        except Exception as error:
            self._fail(error)
        finally:
            self._closed = True
            if self.writer is not None:
                self.writer.close()
            if self.run is not None and self.run.owned:
                if status is None and self.failure:
                    self.run.finish("failed", message=self.failure)
                else:
                    self.run.finish(status or "completed")

    def _end_findings(self) -> None:
        """dropout-never-active: a configured dropout (p > 0) that never dropped while the model trained."""
        if self.step == 0:
            return
        for root in list(self._roots):
            for name, module, kind in self._tracked.get(root, []):
                if kind == "BatchNorm" or float(module.p) <= 0:
                    continue
                stats = self.stats.get(id(module))
                self._never_active(stats, name, kind, float(module.p), self._sites.get(module))
        for stats in list(self.stats.values()):
            if stats.functional and not stats.fused and stats.p > 0:
                self._never_active(stats, stats.name, stats.kind, stats.p, stats.site)

    def _never_active(
        self, stats: Optional[ModuleStats], name: str, kind: str, p: float, site: Optional[tuple[str, int]]
    ) -> None:
        if site is None:
            return
        if stats is None or stats.train_calls + stats.eval_calls == 0:
            why = "was never called"
        elif stats.train_calls == 0:
            why = f"ran {stats.eval_calls} times, never in train mode"
        elif stats.sampled > 0 and stats.observed > 0 and stats.dropped == 0:
            why = f"dropped nothing in {stats.sampled} sampled training calls"
        else:
            return
        self.findings.add(
            "dropout-never-active",
            site[0],
            site[1],
            f"observed at run time: {name} ({kind}, p={p:g}) {why} during {self.step} training steps",
            self.step,
        )


# ---------- wrappers installed into torch ----------


def _defaults(fn: Callable) -> tuple[Any, Any, Any]:
    import inspect

    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return 0.5, True, False
    get = lambda n, d: params[n].default if n in params and params[n].default is not inspect.Parameter.empty else d
    return get("p", 0.5), get("training", True), get("inplace", False)


def _functional_wrapper(original: Callable, kind: str, alpha: bool) -> Callable:
    import functools

    p_default, training_default, inplace_default = _defaults(original)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        probe = _active
        if probe is None or probe.broken or probe._closed:
            return original(*args, **kwargs)
        stack = probe._local.stack
        if stack and probe._kind(stack[-1]) not in (None, "BatchNorm"):
            return original(*args, **kwargs)  # nn.Dropout's own call: the module hooks record it
        n = len(args)
        p = args[1] if n > 1 else kwargs.get("p", p_default)
        training = args[2] if n > 2 else kwargs.get("training", training_default)
        inplace = args[3] if n > 3 else kwargs.get("inplace", inplace_default)
        return probe.functional(original, kind, alpha, args, kwargs, p, training, inplace, sys._getframe(1))

    wrapper.__dropout_lens_original__ = original  # type: ignore[attr-defined]
    return wrapper


def _sdpa_wrapper(original: Callable) -> Callable:
    import functools

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        probe = _active
        if probe is not None and not probe.broken and not probe._closed:
            dropout_p = args[4] if len(args) > 4 else kwargs.get("dropout_p", 0.0)
            probe.fused(float(dropout_p), sys._getframe(1))
        return original(*args, **kwargs)

    wrapper.__dropout_lens_original__ = original  # type: ignore[attr-defined]
    return wrapper


def _jit_script_wrapper(original_script: Callable, wrappers: list) -> Callable:
    """TorchScript compiles the Python functions a scripted module calls; it cannot compile our wrappers
    (``*args``). Before the first ``torch.jit.script`` call, each wrapper is entered in TorchScript's function
    cache as the compiled original: scripted code runs the original, unobserved (hooks do not fire in
    TorchScript either)."""
    import functools

    aliased = False

    @functools.wraps(original_script)
    def script(obj: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal aliased
        if not aliased:
            aliased = True
            try:
                from torch.jit._state import _set_jit_function_cache
            except ImportError:
                _set_jit_function_cache = None
            for wrapper in wrappers if _set_jit_function_cache is not None else []:
                try:
                    _set_jit_function_cache(wrapper, original_script(wrapper.__dropout_lens_original__))
                except Exception:
                    pass  # that function stays uncompilable under the probe, as it would be without this
        return original_script(obj, *args, **kwargs)

    return script


def _site_recording_init(original: Callable, probe: Probe) -> Callable:
    """Wraps a layer's ``__init__`` to remember where the user created it (for findings at that line)."""
    import functools

    @functools.wraps(original)
    def __init__(self: nn.Module, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        try:
            site = user_frame()
            if site is not None:
                probe._sites[self] = (site[0], site[1])
        except Exception:
            pass

    return __init__


def iter_dropout_modules(model: nn.Module) -> Iterable[tuple[str, nn.Module]]:
    for name, module in model.named_modules():
        if isinstance(module, _DROPOUT_BASE):
            yield name, module
