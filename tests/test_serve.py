"""The HTTP retrieval service, started as a real uvicorn server on a loopback port."""

from __future__ import annotations

import inspect
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from indexes import IndexConfig, RetrievalIndex, ServeLimits, build_version_index
from indexes.serve import create_app, resolve_version_dir, serve
from publish.store import IntegrityError, sha256_file
from tests.loopback import running

os.environ.setdefault("HF_HUB_OFFLINE", "1")

TOKEN = "s3cret-token"
ROWS = [
    ("a1", "train", "The Eiffel Tower is in Paris.", "cc0-1.0"),
    ("a2", "train", "Bread is made from flour, water and yeast.", "cc-by-4.0"),
    ("a3", "test", "Volcanoes erupt lava and ash.", "cc0-1.0"),
]


def publish(root: Path, version: str, rows: list[tuple[str, str, str, str]]) -> Path:
    """A version directory as publish lays it out, indexed through the shared cache."""
    version_dir = root / "demo" / version
    (version_dir / "data").mkdir(parents=True)
    for split in sorted({row[1] for row in rows}):
        part = [row for row in rows if row[1] == split]
        table = pa.table(
            {
                "id": [r[0] for r in part],
                "text": [r[2] for r in part],
                "source": [f"rows.csv:{r[0]}" for r in part],
                "source_name": ["rows"] * len(part),
                "license": [r[3] for r in part],
            }
        )
        pq.write_table(table, version_dir / "data" / f"{split}-00000-of-00001.parquet")
    build_version_index(version_dir, IndexConfig(progress=False), cache_dir=root / "cache")
    return version_dir


def point_latest(root: Path, version: str) -> None:
    """Move `latest` atomically, as publishing does."""
    link = root / "demo" / "latest"
    tmp = root / "demo" / ".latest.tmp"
    tmp.symlink_to(version)
    os.replace(tmp, link)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("published")
    publish(root, "1.0.0", ROWS)
    point_latest(root, "1.0.0")
    return root


@pytest.fixture(scope="module")
def base_url(root: Path) -> Iterator[str]:
    limits = ServeLimits(max_k=20, max_query_chars=200, max_batch=4)
    app = create_app(root / "demo" / "latest", token=TOKEN, limits=limits)
    with running(app, start_timeout=20) as url:
        yield url


@pytest.fixture()
def client(base_url: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        yield client


def test_get_search_returns_ranked_hits(client: httpx.Client) -> None:
    response = client.get("/search", params={"q": "baking a loaf", "k": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == "1.0.0" and len(body["hits"]) == 2
    first = body["hits"][0]
    assert first["id"] == "a2" and first["license"] == "cc-by-4.0" and first["split"] == "train"
    assert first["text"].startswith("Bread") and first["score"] > body["hits"][1]["score"]


def test_get_search_filters_from_query_parameters(client: httpx.Client) -> None:
    response = client.get("/search", params={"q": "baking", "k": 5, "split": "test"})
    assert [hit["id"] for hit in response.json()["hits"]] == ["a3"]
    response = client.get("/search", params=[("q", "x"), ("license", "cc0-1.0"), ("k", "5")])
    assert {hit["id"] for hit in response.json()["hits"]} == {"a1", "a3"}


def test_post_search_takes_batches_of_texts_or_vectors(client: httpx.Client) -> None:
    texts = client.post("/search", json={"queries": ["Paris landmark", "eruption"], "k": 1})
    assert [r[0]["id"] for r in texts.json()["results"]] == ["a1", "a3"]
    vector = [0.0] * 384
    vector[0] = 1.0
    vectors = client.post(
        "/search", json={"vectors": [vector], "k": 3, "where": {"split": "train"}}
    )
    assert vectors.status_code == 200
    assert {hit["id"] for hit in vectors.json()["results"][0]} == {"a1", "a2"}


def test_health_and_info(base_url: str, client: httpx.Client) -> None:
    assert httpx.get(f"{base_url}/healthz").json() == {"status": "ok", "version": "1.0.0"}
    info = client.get("/info").json()
    assert info["version"] == "1.0.0" and info["rows"] == 3 and info["index"]["dim"] == 384
    assert info["limits"]["max_k"] == 20 and info["dataset"] == "demo"


@pytest.mark.parametrize(
    ("method", "kwargs", "status"),
    [
        ("get", {"params": {"q": "x", "k": 21}}, 422),
        ("get", {"params": {"q": "x" * 201}}, 422),
        ("get", {"params": {"q": ""}}, 422),
        ("get", {"params": {"k": 3}}, 422),
        ("post", {"json": {"queries": ["a"] * 5}}, 422),
        ("post", {"json": {"queries": ["a"], "vectors": [[1.0]]}}, 422),
        ("post", {"json": {"vectors": [[1.0, 2.0]]}}, 400),
        ("post", {"json": {"queries": ["a"], "where": {"text": "x"}}}, 400),
        ("post", {"json": {"queries": ["a"], "surprise": 1}}, 422),
        ("post", {"content": b"{not json", "headers": {"content-type": "application/json"}}, 422),
        ("post", {"content": b"x" * (5 * 1024 * 1024)}, 413),
        ("get", {"url": "/nowhere"}, 404),
    ],
)
def test_bad_requests_get_json_errors_without_internals(
    client: httpx.Client, method: str, kwargs: dict, status: int
) -> None:
    url = kwargs.pop("url", "/search")
    response = client.request(method.upper(), url, **kwargs)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["status"] == status and error["message"]
    assert (
        "Traceback" not in response.text
        and "/work" not in response.text
        and "tmp" not in response.text
    )


def test_bearer_token_is_required_except_for_health(base_url: str) -> None:
    assert httpx.get(f"{base_url}/search", params={"q": "x"}).status_code == 401
    wrong = httpx.get(f"{base_url}/info", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    assert wrong.json()["error"]["message"] == "missing or invalid bearer token"
    assert httpx.get(f"{base_url}/healthz").status_code == 200


def test_latest_switches_only_to_a_fully_loaded_version(root: Path) -> None:
    app = create_app(
        root / "demo" / "latest", limits=ServeLimits(reload_interval_s=0, rate_per_s=0)
    )
    pinned = create_app(
        root / "demo" / "1.0.0", limits=ServeLimits(reload_interval_s=0, rate_per_s=0)
    )
    holder = app.state.holder
    broken = root / "demo" / "1.0.1"
    (broken / "index").mkdir(parents=True)
    (broken / "index" / "faiss.index").write_bytes(b"not an index")
    with running(app, start_timeout=20) as url, running(pinned, start_timeout=20) as pinned_url:
        point_latest(root, "1.0.1")
        assert httpx.get(f"{url}/healthz").json()["version"] == "1.0.0"
        assert holder.wait_idle(30)
        info = httpx.get(f"{url}/info").json()
        assert info["version"] == "1.0.0" and "1.0.1" in info["last_error"]
        assert "/" not in info["last_error"]

        publish(root, "1.1.0", [*ROWS, ("a4", "train", "Glaciers carve valleys.", "cc0-1.0")])
        point_latest(root, "1.1.0")
        versions = set()
        deadline = time.monotonic() + 30
        while "1.1.0" not in versions:
            assert time.monotonic() < deadline, "never switched to 1.1.0"
            body = httpx.get(f"{url}/search", params={"q": "ice shaping land", "k": 1}).json()
            versions.add(body["version"])
            if body["version"] == "1.1.0":
                assert body["hits"][0]["id"] == "a4"
        assert versions <= {"1.0.0", "1.1.0"}
        assert httpx.get(f"{pinned_url}/info").json()["version"] == "1.0.0"
    point_latest(root, "1.0.0")


def test_serve_binds_loopback_by_default_and_names_missing_versions(root: Path) -> None:
    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"
    assert resolve_version_dir(root / "demo", "1.0.0") == root / "demo" / "1.0.0"
    with pytest.raises(FileNotFoundError, match=r"'9\.9\.9' in demo$") as error:
        resolve_version_dir(root / "demo", "9.9.9")
    assert str(root) not in str(error.value)


def test_rate_limit_answers_429_per_client_but_never_on_health(root: Path) -> None:
    app = create_app(root / "demo" / "1.0.0", limits=ServeLimits(rate_per_s=0.01, burst=2))
    with running(app, start_timeout=20) as url:
        statuses = [httpx.get(f"{url}/info").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        limited = httpx.get(f"{url}/search", params={"q": "x"})
        assert limited.headers["retry-after"] == "1"
        assert limited.json()["error"]["status"] == 429
        assert httpx.get(f"{url}/healthz").status_code == 200


def test_a_file_that_differs_from_the_manifest_is_refused(tmp_path: Path) -> None:
    version_dir = publish(tmp_path, "1.0.0", ROWS)
    files = [
        p.relative_to(version_dir).as_posix() for p in sorted(version_dir.rglob("*")) if p.is_file()
    ]
    manifest = {
        "files": {
            name: {
                "bytes": (version_dir / name).stat().st_size,
                "sha256": sha256_file(version_dir / name),
            }
            for name in files
        }
    }
    (version_dir / "manifest.json").write_text(json.dumps(manifest))
    assert RetrievalIndex.open(version_dir).search("Paris", k=1)[0][0].id == "a1"
    ids = version_dir / "index" / "ids.parquet"
    ids.write_bytes(ids.read_bytes() + b"tampered")
    with pytest.raises(IntegrityError, match=r"index/ids\.parquet: sha256 does not match"):
        RetrievalIndex.open(version_dir)
