"""The HTTP face of the stand-in: the aiohttp app and its middlewares (``app``), the route table
(``routes``), request parsing (``reqs``), who is calling (``auth``) and the handlers, one module
per Determined service area (``handlers/``).

May import: every room below it and the root's ``backend`` (the handlers' one collaborator).
"""
