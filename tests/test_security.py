"""Guards: the retrieval API (auth, limits, rate limit, CORS, no leaks), checksums before
loading, paths that cannot escape the publish root, safe config loading and no secrets in
outputs. The server runs for real: uvicorn on loopback, or `python -m indexes.serve`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyarrow as pa
import pytest

from curate.recipe import RecipeError, parse_recipe
from indexes import IndexConfig, ServeLimits, build_version_index
from indexes.search import RetrievalIndex
from indexes.serve import create_app
from publish.release import publish_splits, split_path, write_manifest, write_parquet
from publish.store import (
    IntegrityError,
    checked_name,
    publish_atomically,
    publish_lock,
    resolve_version,
)
from tests.loopback import free_port, running

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
TOKEN = "tok-7f3a9c1e5b2d4680-secret"
LEAK_MARKERS = ("Traceback", 'File "', ".py", "/tmp", "/work", "site-packages", TOKEN)
OUR_CODE = ("curate", "loaders", "filters", "indexes", "cards", "publish", "flows", "bench")


def rows_table(n: int = 6) -> pa.Table:
    return pa.table(
        {
            "id": [f"r{i}" for i in range(n)],
            "text": [f"document {i} about {w}" for i, w in enumerate("abcdefghij"[:n])],
            "source": [f"rows.csv:{i}" for i in range(n)],
            "source_name": ["rows"] * n,
            "license": ["cc0-1.0"] * n,
        }
    )


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """published/demo/1.0.0 with data, index and a manifest that covers them."""
    dataset = tmp_path_factory.mktemp("published") / "demo"
    cache = dataset.parent / "cache"

    def write(staging: Path) -> None:
        write_parquet(rows_table(), staging / split_path("train"))
        build_version_index(staging, IndexConfig(progress=False), cache_dir=cache)
        write_manifest(staging, {"name": "demo", "version": "1.0.0"})

    with publish_lock(dataset):
        publish_atomically(dataset, "1.0.0", write)
    return dataset


@pytest.fixture(scope="module")
def url(dataset: Path) -> Iterator[str]:
    limits = ServeLimits(max_k=10, max_batch=4, max_body_bytes=65536, rate_per_s=1000, burst=1000)
    with running(create_app(dataset / "latest", token=TOKEN, limits=limits)) as base:
        yield base


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- retrieval API ----------------------------------------------------------------------------


def test_auth_failures_are_401_and_identical_whatever_was_sent(url: str) -> None:
    attempts = [
        {},
        {"Authorization": "Bearer"},
        auth("wrong"),
        auth(TOKEN[:-1]),
        auth(TOKEN + "x"),
        {"Authorization": TOKEN},
        {"Authorization": f"Basic {TOKEN}"},
    ]
    bodies = set()
    for headers in attempts:
        response = httpx.get(f"{url}/search", params={"q": "a"}, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        bodies.add(response.text)
        assert TOKEN not in response.text and TOKEN[:8] not in response.text
    assert len(bodies) == 1  # nothing tells a near miss from a wild guess
    assert httpx.get(f"{url}/search", params={"q": "a"}, headers=auth()).status_code == 200


def test_token_is_compared_in_constant_time() -> None:
    source = (REPO / "indexes" / "serve.py").read_text()
    assert "hmac.compare_digest(" in source
    assert not re.search(r"(given|token)\s*==\s*(given|token)", source)


def test_request_size_k_and_batch_caps(url: str) -> None:
    with httpx.Client(base_url=url, headers=auth()) as client:
        assert client.post("/search", content=b"x" * 70_000).status_code == 413
        assert client.get("/search", params={"q": "a", "k": 11}).status_code == 422
        assert client.post("/search", json={"queries": ["a"] * 5}).status_code == 422
        assert client.post("/search", json={"vectors": [[0.1] * 384] * 5}).status_code == 422
        assert client.get("/search", params={"q": "a", "k": 10}).status_code == 200


def test_rate_limit_returns_429_per_client(dataset: Path) -> None:
    limits = ServeLimits(rate_per_s=0.5, burst=3)
    with running(create_app(dataset / "latest", limits=limits)) as base:
        codes = [httpx.get(f"{base}/info").status_code for _ in range(6)]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429, 429]
        limited = httpx.get(f"{base}/info")
        assert limited.headers["retry-after"] == "1"
        assert limited.json()["error"]["message"] == "too many requests"
        assert httpx.get(f"{base}/healthz").status_code == 200  # health checks are not limited


def test_cors_is_off_by_default(url: str) -> None:
    origin = {"Origin": "https://evil.example"}
    preflight = httpx.options(
        f"{url}/search",
        headers={**origin, "Access-Control-Request-Method": "POST"},
    )
    plain = httpx.get(f"{url}/search", params={"q": "a"}, headers={**origin, **auth()})
    for response in (preflight, plain):
        assert not any(h.startswith("access-control-") for h in response.headers)


HOSTILE = [
    ("POST", "/search", {"content": b'{"queries": [1'}),
    ("POST", "/search", {"content": b'{"queries": ["\xff\xfe"]}'}),
    ("POST", "/search", {"content": b'{"vectors": [[NaN, Infinity]]}'}),
    ("POST", "/search", {"json": {"vectors": [[1e308] * 384]}}),
    ("POST", "/search", {"json": {"vectors": [[0.1, 0.2]]}}),
    ("POST", "/search", {"json": {"queries": ["a"], "where": {"../../etc": "x"}}}),
    ("POST", "/search", {"json": {"queries": ["a"], "where": {"split": [["nested"]]}}}),
    ("POST", "/search", {"json": {"queries": "not a list", "k": -1}}),
    ("POST", "/search", {"json": {"queries": ["a"], "unexpected": True}}),
    ("POST", "/search", {"json": [1, 2, 3]}),
    ("GET", "/search", {"params": {"q": "a" * 10_000}}),
    ("GET", "/search", {"params": {"q": "a", "k": "99999999999999999999999"}}),
    ("GET", "/../../../etc/passwd", {}),
    ("GET", "/search/%2e%2e/%2e%2e", {}),
    ("DELETE", "/search", {}),
]


@pytest.mark.parametrize(("method", "path", "options"), HOSTILE)
def test_hostile_requests_get_4xx_without_traces_or_paths(url, method, path, options) -> None:
    with httpx.Client(base_url=url, headers=auth()) as client:
        response = client.request(method, path, **options)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/json")
    for marker in LEAK_MARKERS:
        assert marker not in response.text


def test_serve_binds_loopback_unless_told_otherwise() -> None:
    from indexes import serve as serve_module

    source = (REPO / "indexes" / "serve.py").read_text()
    assert '"--host", default="127.0.0.1"' in source
    assert serve_module.serve.__defaults__[1] == "127.0.0.1"


# --- checksums before loading -----------------------------------------------------------------


@pytest.fixture()
def copy_of(dataset: Path, tmp_path: Path) -> Path:
    target = tmp_path / "demo"
    shutil.copytree(dataset, target, symlinks=True)
    return target / "1.0.0"


@pytest.mark.parametrize("relative", ["index/faiss.index", "index/ids.parquet", "data"])
def test_checksum_mismatch_is_refused(copy_of: Path, relative: str) -> None:
    path = copy_of / relative
    if path.is_dir():
        path = next(path.glob("*.parquet"))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="sha256 does not match the manifest") as error:
        RetrievalIndex.open(copy_of)
    assert str(copy_of.parent) not in str(error.value)
    with pytest.raises(IntegrityError):
        create_app(copy_of)


def test_server_refuses_to_start_on_a_corrupt_or_missing_index(copy_of: Path) -> None:
    env = {**os.environ, "CURATE_SERVE_TOKEN": TOKEN}
    command = [sys.executable, "-m", "indexes.serve", str(copy_of.parent), "--port", "1"]

    def start() -> subprocess.CompletedProcess:
        return subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120
        )

    (copy_of / "index" / "faiss.index").write_bytes(b"not an index")
    corrupt = start()
    (copy_of / "index" / "faiss.index").unlink()
    missing = start()
    expectations = ((corrupt, "sha256 does not match"), (missing, "no indexed version"))
    for completed, expected in expectations:
        assert completed.returncode != 0
        assert "curate serve: refusing to start" in completed.stderr
        assert expected in completed.stderr
        assert "Traceback" not in completed.stderr and TOKEN not in completed.stderr


def test_corrupt_index_without_manifest_gives_a_clear_error(copy_of: Path) -> None:
    (copy_of / "manifest.json").unlink()
    (copy_of / "index" / "faiss.index").write_bytes(b"\x00" * 64)
    with pytest.raises(ValueError, match="not a readable FAISS index") as error:
        RetrievalIndex.open(copy_of)
    assert "index_read.cpp" not in str(error.value)


# --- paths and names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["..", "../x", "/etc", "a/b", "a\\b", ".hidden", "", "x" * 101, "a\x00b", "~root"]
)
def test_dataset_names_cannot_be_paths(name: str) -> None:
    with pytest.raises(ValueError):
        checked_name(name)
    with pytest.raises(RecipeError):
        parse_recipe(
            {"name": name, "sources": [{"path": "a.csv", "text": "t", "license": "cc0-1.0"}]},
            Path("recipe.yaml"),
        )


@pytest.mark.parametrize("version", ["../1.0.0", "/1.0.0", "1.0.0/..", "1.0", "..", "1.0.0\x00"])
def test_versions_cannot_be_paths(tmp_path: Path, version: str) -> None:
    dataset = tmp_path / "published" / "demo"
    dataset.mkdir(parents=True)
    with pytest.raises(ValueError):
        publish_atomically(dataset, version, lambda staging: None)
    with pytest.raises(ValueError):
        resolve_version(dataset, version)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["demo", "published"]


def test_symlinks_cannot_lead_out_of_the_publish_root(dataset: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    shutil.copytree(dataset, outside / "demo", symlinks=True)
    (root / "demo").mkdir(parents=True)
    (root / "demo" / "1.0.0").symlink_to(outside / "demo" / "1.0.0")
    with pytest.raises(ValueError, match="symlink"):
        resolve_version(root / "demo", "1.0.0")
    (root / "demo" / "latest").symlink_to("../../outside/demo/1.0.0")
    with pytest.raises(ValueError):
        resolve_version(root / "demo", "latest")
    (root / "linked").symlink_to(outside / "demo")
    recipe = parse_recipe(
        {
            "name": "linked",
            "sources": [{"path": "a.csv", "text": "t", "license": "cc0-1.0"}],
            "publish": {"root": str(root)},
        },
        tmp_path / "recipe.yaml",
    )
    with pytest.raises(RecipeError, match="symlink"):
        recipe.dataset_dir()


# --- config safety ----------------------------------------------------------------------------

UNSAFE_LOADS = re.compile(
    r"yaml\.(load|unsafe_load|full_load)\(|yaml\.Loader|pickle\.loads?\(|cloudpickle|dill\."
    r"|joblib\.load\(|marshal\.loads?\(|allow_pickle\s*=\s*True|(?<![.\w])(eval|exec)\("
    r"|extractall\(|shutil\.unpack_archive\("
)


def our_python_files() -> list[Path]:
    return sorted(p for folder in OUR_CODE for p in (REPO / folder).rglob("*.py"))


def test_no_unsafe_deserialisation_or_archive_extraction_in_our_code() -> None:
    offenders = []
    for path in our_python_files():
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if UNSAFE_LOADS.search(line):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
            if "torch.load(" in line and "weights_only=True" not in line:
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert len(our_python_files()) > 30
    assert offenders == []


def test_recipes_are_loaded_with_safe_load(tmp_path: Path) -> None:
    from curate.recipe import load_recipe

    recipe = tmp_path / "evil.yaml"
    recipe.write_text("name: !!python/object/apply:os.system ['touch pwned']\nsources: []\n")
    with pytest.raises(RecipeError, match="not valid YAML"):
        load_recipe(recipe)
    assert not (tmp_path / "pwned").exists()


# --- secrets ----------------------------------------------------------------------------------


def test_the_server_never_logs_or_returns_the_token(dataset: Path, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "CURATE_SERVE_TOKEN": TOKEN, "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "indexes.serve", str(dataset), "--port", str(port)]
    with open(log, "wb") as handle:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=handle, stderr=handle)
    bodies = []
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert time.monotonic() < deadline and server.poll() is None, log.read_text()
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        for headers in (auth(), auth("bad"), auth(TOKEN[:-1])):
            for path in ("/info", "/search?q=a", "/nope"):
                bodies.append(httpx.get(base + path, headers=headers).text)
        bodies.append(httpx.post(f"{base}/search", headers=auth(), content=b"{").text)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert len(bodies) == 10 and '"version":"1.0.0"' in bodies[0]
    assert all(TOKEN not in body for body in bodies)
    assert TOKEN not in log.read_text(errors="replace")


def test_a_publish_with_tokens_in_the_environment_writes_none_of_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = {
        "HF_TOKEN": "hf_FAKEsecretTOKENvalue1234567890",
        "CURATE_SERVE_TOKEN": TOKEN,
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYFAKEKEY99",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    _, version_dir = publish_splits(
        tmp_path / "demo",
        {"train": rows_table()},
        sources=["rows"],
        stats={"note": "publish with secrets in the environment"},
    )
    written = [p for p in version_dir.rglob("*") if p.is_file()]
    assert {"manifest.json", "CHANGELOG.md"} <= {p.name for p in written}
    for path in written:
        content = path.read_bytes()
        for value in secrets.values():
            assert value.encode() not in content, f"{value[:6]}... in {path.name}"
