"""HTTP retrieval service over a published version (FastAPI + uvicorn).

`latest` is re-resolved every `reload_interval_s`; a new version is loaded completely in a
background thread and only then swapped in (one reference assignment), so a request is always
answered by one fully loaded version. A version that fails to load is reported in /info and the
previous one keeps serving.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from indexes.config import ServeLimits
from indexes.search import FILTER_COLUMNS, Hit, RetrievalIndex, Where

LOG = logging.getLogger("indexes.serve")
TOKEN_ENV = "CURATE_SERVE_TOKEN"


class VersionHolder:
    """The version being served, and the background switch to a newer one."""

    def __init__(self, resolve: Callable[[], Path], interval_s: float, mmap: bool = False):
        self._resolve = resolve
        self._interval_s = interval_s
        self._mmap = mmap
        self.current = RetrievalIndex.open(resolve(), mmap=mmap)
        self.loading: Path | None = None
        self.last_error: str | None = None
        self._failed: Path | None = None
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    def get(self) -> RetrievalIndex:
        """The loaded version; may start loading a newer one for later requests."""
        now = time.monotonic()
        if now - self._checked >= self._interval_s:
            self._checked = now
            self._maybe_switch()
        return self.current

    def _maybe_switch(self) -> None:
        try:
            target = Path(self._resolve()).resolve()
        except OSError as error:
            self.last_error = f"cannot resolve the version: {error.strerror}"
            return
        with self._lock:
            if target in (self.current.version_dir, self.loading, self._failed):
                return
            self.loading = target
        threading.Thread(target=self._load, args=(target,), daemon=True).start()

    def _load(self, target: Path) -> None:
        try:
            loaded = RetrievalIndex.open(target, mmap=self._mmap)
            loaded.embedder.model  # noqa: B018 - load the query encoder before switching
        except Exception as error:
            LOG.exception("loading %s failed; still serving %s", target, self.current.version)
            self.last_error = f"loading version {target.name} failed: {type(error).__name__}"
            self._failed = target
        else:
            self.current = loaded
            self.last_error = None
            LOG.info("now serving version %s", loaded.version)
        finally:
            with self._lock:
                self.loading = None

    def wait_idle(self, timeout_s: float) -> bool:
        """For tests and tools: wait until no version is loading."""
        deadline = time.monotonic() + timeout_s
        while self.loading is not None and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.loading is None


class RateLimiter:
    """Token buckets per client address: `rate_per_s` sustained, `burst` at once.

    At most `max_clients` buckets are kept (least recently seen dropped first), so a flood of
    addresses cannot grow memory without bound.
    """

    def __init__(self, rate_per_s: float, burst: int, max_clients: int = 10_000) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        if self.rate_per_s <= 0:
            return True
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.pop(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate_per_s)
            allowed = tokens >= 1
            self._buckets[client] = (tokens - 1 if allowed else tokens, now)
            if len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        return allowed


class SearchBody(BaseModel):
    """POST /search: a batch of query texts or of query vectors."""

    model_config = ConfigDict(extra="forbid")

    queries: list[str] | None = None
    vectors: list[list[float]] | None = None
    k: int = Field(5, ge=1)
    where: dict[str, str | list[str]] | None = None


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    headers = {401: {"WWW-Authenticate": "Bearer"}, 429: {"Retry-After": "1"}}.get(status)
    body = {"error": {"status": status, "message": message, **extra}}
    return JSONResponse(body, status_code=status, headers=headers)


def _hits(hits: list[Hit]) -> list[dict[str, Any]]:
    return [hit.to_dict() for hit in hits]


def create_app(
    version_dir: Path | Callable[[], Path],
    *,
    token: str | None = None,
    limits: ServeLimits | None = None,
    mmap: bool = False,
) -> FastAPI:
    """The retrieval app for one version directory (a `latest` symlink is followed) or resolver."""
    limits = limits or ServeLimits()
    resolve = version_dir if callable(version_dir) else (lambda: Path(version_dir))
    holder = VersionHolder(resolve, limits.reload_interval_s, mmap=mmap)
    holder.current.embedder.model  # noqa: B018 - load the query encoder before serving
    app = FastAPI(title="curate retrieval", docs_url=None, redoc_url=None)
    app.state.holder = holder

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(part) for part in e["loc"][1:]), "problem": e["msg"]}
            for e in exc.errors()
        ]
        return _error(422, "invalid request", problems=problems)

    @app.exception_handler(ValueError)
    async def bad_value(request: Request, exc: ValueError) -> JSONResponse:
        return _error(400, str(exc))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        LOG.exception("request failed")
        return _error(500, "internal error")

    limiter = RateLimiter(limits.rate_per_s, limits.burst)

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Callable) -> Any:
        client = request.client.host if request.client else "unknown"
        if request.url.path != "/healthz" and not limiter.allow(client):
            return _error(429, "too many requests", retry_after_s=1)
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limits.max_body_bytes):
            return _error(413, f"request body over {limits.max_body_bytes} bytes")
        if length is None and request.method == "POST":
            return _error(411, "Content-Length required")
        return await call_next(request)

    def authorise(request: Request) -> None:
        if token is None:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        valid = scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode())
        if not valid:
            raise HTTPException(401, "missing or invalid bearer token")

    def check_k(k: int) -> None:
        if k > limits.max_k:
            raise HTTPException(422, f"k must be at most {limits.max_k}")

    def check_queries(queries: list[str]) -> None:
        if not queries or len(queries) > limits.max_batch:
            raise HTTPException(422, f"send between 1 and {limits.max_batch} queries")
        for text in queries:
            if not text.strip():
                raise HTTPException(422, "queries must not be empty")
            if len(text) > limits.max_query_chars:
                raise HTTPException(422, f"queries are limited to {limits.max_query_chars} chars")

    protected = [Depends(authorise)]

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": holder.get().version}

    @app.get("/info", dependencies=protected)
    def info() -> dict[str, Any]:
        current = holder.get()
        return {
            "dataset": current.version_dir.parent.name,
            "version": current.version,
            "rows": current.rows.num_rows,
            "index": {
                name: current.info.get(name)
                for name in ("factory", "metric", "dim", "params", "embedding")
            },
            "filters": [c for c in FILTER_COLUMNS if c in current.rows.column_names],
            "limits": limits.model_dump(),
            "loading": holder.loading.name if holder.loading else None,
            "last_error": holder.last_error,
        }

    @app.get("/search", dependencies=protected)
    def search_get(
        q: Annotated[str, Query(min_length=1)],
        k: Annotated[int, Query(ge=1)] = 5,
        split: Annotated[list[str] | None, Query()] = None,
        source: Annotated[list[str] | None, Query()] = None,
        source_name: Annotated[list[str] | None, Query()] = None,
        license: Annotated[list[str] | None, Query()] = None,
        language: Annotated[list[str] | None, Query()] = None,
    ) -> dict[str, Any]:
        check_k(k)
        check_queries([q])
        filters = {
            "split": split,
            "source": source,
            "source_name": source_name,
            "license": license,
            "language": language,
        }
        where: Where = {name: values for name, values in filters.items() if values}
        current = holder.get()
        hits = current.search(q, k=k, where=where or None)[0]
        return {"version": current.version, "query": q, "hits": _hits(hits)}

    @app.post("/search", dependencies=protected)
    def search_post(body: SearchBody) -> dict[str, Any]:
        check_k(body.k)
        if (body.queries is None) == (body.vectors is None):
            raise HTTPException(422, "send exactly one of 'queries' or 'vectors'")
        current = holder.get()
        if body.queries is not None:
            check_queries(body.queries)
            queries: list[str] | np.ndarray = body.queries
        else:
            assert body.vectors is not None
            if not body.vectors or len(body.vectors) > limits.max_batch:
                raise HTTPException(422, f"send between 1 and {limits.max_batch} vectors")
            if len({len(vector) for vector in body.vectors}) != 1:
                raise HTTPException(422, "vectors must all have the same dimension")
            queries = np.asarray(body.vectors, dtype=np.float32)
        results = current.search(queries, k=body.k, where=body.where)
        return {"version": current.version, "results": [_hits(hits) for hits in results]}

    return app


def resolve_version_dir(dataset_dir: Path, version: str = "latest") -> Path:
    """`dataset_dir/version`; `latest` stays a symlink so that new versions are picked up."""
    version_dir = Path(dataset_dir) / version
    if not (version_dir / "index" / "faiss.index").exists():
        raise FileNotFoundError(f"no indexed version {version!r} in {Path(dataset_dir).name}")
    return version_dir


def serve(
    dataset_dir: Path,
    version: str = "latest",
    host: str = "127.0.0.1",
    port: int = 8000,
    token: str | None = None,
    limits: ServeLimits | None = None,
    mmap: bool = False,
) -> None:
    """Serve a dataset's `latest` (followed as it moves) or one pinned version until stopped."""
    import uvicorn

    version_dir = resolve_version_dir(dataset_dir, version)
    app = create_app(version_dir, token=token, limits=limits, mmap=mmap)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a published dataset's index over HTTP.")
    parser.add_argument("dataset", type=Path, help="published/<name> directory")
    parser.add_argument("--version", default="latest", help="'latest' (followed) or a version")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--mmap", action="store_true", help="memory-map the index (IVF, Flat)")
    parser.add_argument(
        "--rate-per-s", type=float, default=ServeLimits().rate_per_s, help="per client; 0: off"
    )
    parser.add_argument("--burst", type=int, default=ServeLimits().burst)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    token = os.environ.get(TOKEN_ENV) or None
    limits = ServeLimits(rate_per_s=args.rate_per_s, burst=args.burst)
    try:
        serve(
            args.dataset,
            args.version,
            args.host,
            args.port,
            token=token,
            limits=limits,
            mmap=args.mmap,
        )
    except (OSError, ValueError, RuntimeError) as error:
        message = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise SystemExit(f"curate serve: refusing to start: {message}") from None


if __name__ == "__main__":
    main()
