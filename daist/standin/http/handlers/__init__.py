"""Route handlers, one module per Determined service area; thin: parse, authorize, call the
store or the runner through ``Backend``, shape the answer."""
