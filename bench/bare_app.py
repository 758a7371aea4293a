"""The baseline of the ingest benchmark: FastAPI under uvicorn, reading the body and answering ok.

Served exactly as `tinbao serve` serves Tinbao (one process, no log config, no access log), so
that the ratio Tinbao / bare isolates what verifying, storing and handling cost.
"""

from __future__ import annotations

import argparse

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI(title="bare")


@app.post("/webhooks/{channel}")
async def webhook(channel: str, request: Request) -> JSONResponse:
    """Read the body and answer ok, storing nothing."""
    await request.body()
    return JSONResponse({"ok": True})


@app.get("/healthz")
async def healthz() -> JSONResponse:
    """Answer ok once serving."""
    return JSONResponse({"status": "ok"})


def main() -> None:
    """Serve the bare app on the given port with `tinbao serve`'s uvicorn settings."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
