"""Stand-in trial bootstrap, loaded by every Python process of a trial via PYTHONPATH.

It does nothing unless ``DET_STANDIN_INFO_DIR`` is set. Then it:

1. asks the kernel to kill this process when its parent dies (PR_SET_PDEATHSIG), so no trial
   process outlives the stand-in even when the stand-in is SIGKILLed;
2. installs a meta-path hook that, right after ``determined._info`` is imported, seeds its
   cached ClusterInfo from the files in ``$DET_STANDIN_INFO_DIR`` (cluster.json, trial.json,
   rendezvous.json, resources.json). The real module reads fixed paths under
   /run/determined/info, which concurrent trials on one host cannot share.

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
            _seed_cluster_info(module)

    class _Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name != "determined._info":
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
