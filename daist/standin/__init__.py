"""daist.standin: a stand-in Determined master (the 0.38.1 REST API) for load and integration
tests. Real ``determined`` SDK, CLI and Core API clients talk to it over HTTP.

Start it with ``python -m daist.standin`` (see ``cli``), from Python with
``launcher.StandinProcess`` (a subprocess; standard library only) or ``server.StandinMaster``
(a background thread of this process).

Control endpoints, outside /api/v1, are never faulted; GETs need no token, every change
(reset, PUT/POST/DELETE faults, token expiry, preemption) takes an admin's token:

* ``GET /standin/health`` -> ``{"ok": true, "clusterName", "version", "pid", "url", "scale",
  "seed", "seedSeconds", "runningTrials"}``
* ``GET /standin/counts`` -> rows per kind (users, tokens, task_tokens, user_settings,
  workspaces, projects, notes, experiments, experiment_labels, trials, metrics, checkpoints,
  models, model_versions, templates, webhooks, commands, active_allocations, task_logs,
  resource_pools, agents)
* ``POST /standin/reset`` -> stop every trial and reseed to the start state
* ``GET|PUT|POST|DELETE /standin/faults`` -> read / replace / add / clear fault rules; a rule is
  ``{"path": regex, "unless": regex|null, "method": "GET"|null, "latency_ms", "jitter_ms",
  "error_rate", "status", "hang", "drop_rate", "count": null|N, "every"|"first": null|N,
  "sequence": null|"x..", "capacity": null|C}``
  (see ``faultspec``); faults apply to /api/v1, /info
  and the two download routes
* ``POST /standin/tokens/expire`` -> invalidate every user token
* ``POST /standin/allocations/{allocation_id}/preempt`` -> fire a trial's preemption signal

Importing this package does nothing; no module keeps state at module level.
"""
