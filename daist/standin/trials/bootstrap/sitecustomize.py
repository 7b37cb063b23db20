"""Stand-in trial bootstrap, loaded by every Python process of a trial via PYTHONPATH.

It does nothing unless ``DET_STANDIN_INFO_DIR`` is set. Then it:

1. asks the kernel to kill this process when its parent dies (PR_SET_PDEATHSIG), so no trial
   process outlives the stand-in even when the stand-in is SIGKILLed;
2. installs a meta-path hook that, right after ``determined._info`` is imported, seeds its
   cached ClusterInfo from the files in ``$DET_STANDIN_INFO_DIR`` (cluster.json, trial.json,
   rendezvous.json, resources.json; only cluster.json for a task that is no trial), also
   for ``ClusterInfo._from_file()``. The real module reads fixed paths under
   /run/determined/info, which concurrent tasks on one host cannot share;
3. gives ``determined.tensorboard.get_metric_writer`` a fallback for hosts with neither
   TensorFlow nor PyTorch (a real task image ships one; the stand-in's trials run in daist's
   venv, which has neither): scalars go to ``tensorboard/scalars.jsonl`` in the trial's own
   directory (not /tmp, which trials would litter), so ``core.init()`` in its default AUTO
   TensorBoard mode works.

This replaces any other sitecustomize on the path (trial processes only).
"""
import os

_INFO_DIR = os.environ.get("DET_STANDIN_INFO_DIR")


def _die_with_parent():
    try:
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(137)
    except Exception:
        pass


def _seed_cluster_info(module):
    import json

    def path(name):
        return os.path.join(_INFO_DIR, name)

    with open(path("cluster.json")) as f:
        fields = json.load(f)
    module._info = module.ClusterInfo(
        trial_info=module.TrialInfo._from_file(path("trial.json")),
        rendezvous_info=module.RendezvousInfo._from_file(path("rendezvous.json")),
        resources_info=module.ResourcesInfo._from_file(path("resources.json")),
        **fields,
    )
    # ``ClusterInfo._from_file()`` (as the GC entrypoint calls it) reads the same files.
    original = module.ClusterInfo._from_file.__func__

    def from_file(cls, path=None):
        return module._info if path is None else original(cls, path)

    module.ClusterInfo._from_file = classmethod(from_file)


def _jsonl_writer_class(tensorboard):
    import json
    import logging

    class JsonLinesWriter(tensorboard.MetricWriter):
        """A ``MetricWriter`` without a framework: one JSON object per scalar."""

        def __init__(self):
            super().__init__()
            trial_dir = os.path.dirname(os.path.abspath(_INFO_DIR))
            self.path = tensorboard.get_base_path({"base_path": trial_dir}) / "scalars.jsonl"
            self._file = None
            logging.getLogger("determined").warning(
                "stand-in: no TensorFlow or PyTorch; TensorBoard scalars go to %s", self.path)

        def add_scalar(self, name, value, step):
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = open(self.path, "a")
            self._file.write(json.dumps({"tag": name, "value": float(value), "step": int(step)}))
            self._file.write("\n")

        def flush(self):
            if self._file is not None:
                self._file.flush()

        def reset(self):
            if self._file is not None:
                self._file.close()
                self._file = None

    return JsonLinesWriter


def _add_writer_fallback(tensorboard):
    original = tensorboard.get_metric_writer

    def get_metric_writer():
        try:
            return original()
        except ModuleNotFoundError:  # neither tensorflow nor torch
            return tensorboard.BatchMetricWriter(_jsonl_writer_class(tensorboard)())

    tensorboard.get_metric_writer = get_metric_writer
    tensorboard.base.get_metric_writer = get_metric_writer


_AFTER_IMPORT = {"determined._info": _seed_cluster_info,
                 "determined.tensorboard": _add_writer_fallback}


def _install_hook():
    import importlib.abc
    import sys

    class _Loader(importlib.abc.Loader):
        def __init__(self, inner):
            self._inner = inner

        def create_module(self, spec):
            return self._inner.create_module(spec)

        def exec_module(self, module):
            self._inner.exec_module(module)
            _AFTER_IMPORT[module.__name__](module)

    class _Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name not in _AFTER_IMPORT:
                return None
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(name, path, target)
                if spec is not None and spec.loader is not None:
                    spec.loader = _Loader(spec.loader)
                    return spec
            return None

    sys.meta_path.insert(0, _Finder())


if _INFO_DIR:
    _die_with_parent()
    _install_hook()
