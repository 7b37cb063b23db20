#!/usr/bin/env python3
"""A fixed-latency target for benchmarks/locust_bench.py: aiohttp answering GET /api/v1/master
after ``asyncio.sleep(--delay-ms)`` and a static login, on 127.0.0.1:PORT."""
from __future__ import annotations

import argparse
import asyncio
import json

from aiohttp import web

BODY = json.dumps({"version": "0.38.1", "clusterName": "bench", "masterId": "m", "clusterId": "c"})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--delay-ms", type=float, default=10.0)
    args = parser.parse_args()
    delay = args.delay_ms / 1000.0

    async def master(request: web.Request) -> web.Response:
        await asyncio.sleep(delay)
        return web.Response(text=BODY, content_type="application/json")

    async def login(request: web.Request) -> web.Response:
        return web.json_response({"token": "bench", "user": {"username": "admin"}})

    app = web.Application()
    app.add_routes([web.get("/api/v1/master", master), web.post("/api/v1/auth/login", login),
                    web.post("/api/v1/auth/logout", login)])
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
