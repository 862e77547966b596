"""Encoder runtimes behind `Embedder`: sentence-transformers on torch, ONNX Runtime, model2vec.

The packaged model lives read-only in site-packages, and runs are offline, so the ONNX and
static models are derived locally the first time a backend is used and kept in a model store
(`<embedding cache>/models/<slug>-<backend>-<hash>/`), written to a temporary folder and renamed
into place so that concurrent runs never load half an export.

ONNX goes through `torch.onnx.export` and `onnxruntime` directly rather than
`SentenceTransformer(backend="onnx")`: that path needs optimum-onnx, whose only release pins
transformers < 4.58 against our 5.x. The exported graph is the whole sentence-transformers
pipeline (transformer, pooling, normalisation), so its outputs are the torch backend's outputs.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

BACKENDS = ("torch", "onnx", "onnx-int8", "model2vec")
ONNX_OPSET = 17
STATIC_DIMS = 256  # model2vec's default PCA size: 384 -> 256 costs little quality
STATIC_MAX_TOKENS = 512  # a static model has no position limit; this only bounds the work
DEFAULT_TOKEN_REMOVE = r"\[unused\d+\]"  # model2vec's default: BERT's placeholder tokens


TOKENIZE_CHUNK = 1024  # texts tokenised at once to measure their lengths


class Encoder(Protocol):
    """What `Embedder` needs from a runtime: raw (unnormalised) float32 vectors, in order.

    A batch holds at most `batch_size` texts and, where `max_tokens` is set and the runtime pads,
    at most `max_tokens` padded tokens."""

    dim: int

    def encode(
        self, texts: list[str], batch_size: int, progress: bool, max_tokens: int | None = None
    ) -> np.ndarray: ...


def token_lengths(model: Any, texts: list[str]) -> np.ndarray:
    """Tokens per text as the sentence-transformers model will feed them (truncated to its
    max_seq_length), measured a chunk at a time so only one chunk's ids are held."""
    lengths = np.empty(len(texts), np.int64)
    for start in range(0, len(texts), TOKENIZE_CHUNK):
        mask = model.preprocess(texts[start : start + TOKENIZE_CHUNK])["attention_mask"]
        lengths[start : start + len(mask)] = mask.sum(dim=1).numpy()
    return lengths


def token_batches(lengths: np.ndarray, batch_size: int, max_tokens: int | None) -> list[np.ndarray]:
    """Positions of the texts in each batch, longest first (as `SentenceTransformer.encode`
    orders them): `batch_size` texts, or fewer where that many of the batch's longest would pad
    past `max_tokens`. Activations grow with texts x tokens (attention with tokens squared), so
    a fixed text count let the long batches of a corpus take hundreds of MB more than the rest.
    """
    order = np.argsort(-lengths, kind="stable")
    batches, start = [], 0
    while start < len(order):
        size = batch_size
        if max_tokens is not None:
            size = max(1, min(batch_size, max_tokens // max(int(lengths[order[start]]), 1)))
        batches.append(order[start : start + size])
        start += size
    return batches


def default_model_store() -> Path:
    """Where derived models go when no embedding cache is given (query-only use)."""
    configured = os.environ.get("CURATE_MODEL_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "curate" / "models"


def store_dir(store: Path, model: str, backend: str) -> Path:
    """The folder holding one model's export for one backend, keyed by model id and backend."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", model.rstrip("/").split("/")[-1])
    digest = hashlib.sha256(f"{model}|{backend}|opset={ONNX_OPSET}".encode()).hexdigest()[:16]
    return store / f"{slug}-{backend}-{digest}"


def ensure_exported(target: Path, build: Callable[[Path], None]) -> Path:
    """`target`, built by `build(tmp)` into a sibling temporary folder and renamed into place.

    A second process that loses the race finds `target` already there and drops its own copy.
    """
    if (target / "done").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
    try:
        build(tmp)
        (tmp / "done").write_text("complete\n")
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / "done").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


class TorchEncoder:
    """sentence-transformers as a user would call it, one `encode` call per token batch."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.dim = int(model.get_embedding_dimension())

    def encode(
        self, texts: list[str], batch_size: int, progress: bool, max_tokens: int | None = None
    ) -> np.ndarray:
        from tqdm.auto import tqdm

        out = np.empty((len(texts), self.dim), dtype=np.float32)
        batches = token_batches(token_lengths(self.model, texts), batch_size, max_tokens)
        for batch in tqdm(batches, desc="Batches", disable=not progress):
            vectors = self.model.encode(
                [texts[i] for i in batch],
                batch_size=len(batch),
                show_progress_bar=False,
                convert_to_numpy=True,
            )
            out[batch] = np.asarray(vectors, dtype=np.float32).reshape(len(batch), -1)
        return out


def _pipeline_module(model: Any) -> Any:
    """The sentence-transformers modules as one traceable module: token ids -> sentence vector."""
    import torch

    class Pipeline(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> torch.Tensor:
            features = {
                "input_ids": input_ids,
                "attention_mask": attention_mask,
                "token_type_ids": token_type_ids,
            }
            for module in self.model:
                features = module(features)
            return features["sentence_embedding"]

    return Pipeline().eval()


def export_onnx(model: Any, directory: Path, quantize: bool) -> None:
    """Write `model.onnx` (fp32), and `model-int8.onnx` (dynamic int8 MatMuls) when asked.

    Traced with two texts of different lengths; batch and sequence axes stay dynamic.
    """
    import torch

    features = model.preprocess(["a short text", "a somewhat longer text to trace the padding"])
    names = ["input_ids", "attention_mask", "token_type_ids"]
    args = tuple(features.get(name, torch.zeros_like(features["input_ids"])) for name in names)
    axes: dict[str, dict[int, str]] = {name: {0: "batch", 1: "tokens"} for name in names}
    axes["sentence_embedding"] = {0: "batch"}
    with torch.inference_mode(), warnings.catch_warnings():
        # The tracer warns about shape checks it freezes; they hold for every batch shape
        # (the tests compare against torch across batch sizes and truncation).
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _pipeline_module(model),
            args,
            str(directory / "model.onnx"),
            input_names=names,
            output_names=["sentence_embedding"],
            dynamic_axes=axes,
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # Per-channel int8 weights on the MatMuls only: the embedding table stays fp32, which
        # keeps cosine to the fp32 vectors near 0.99 where quantising everything drops it.
        quantize_dynamic(
            directory / "model.onnx",
            directory / "model-int8.onnx",
            per_channel=True,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul"],
        )
        (directory / "model.onnx").unlink()


class OnnxEncoder:
    """The exported pipeline on ONNX Runtime, fed by the sentence-transformers tokenizer, in
    the same token batches as `TorchEncoder` (so each batch pads to nearly its own length)."""

    def __init__(self, model: Any, path: Path) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.model = model
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = [item.name for item in self.session.get_inputs()]
        self.dim = int(model.get_embedding_dimension())

    def encode(
        self, texts: list[str], batch_size: int, progress: bool, max_tokens: int | None = None
    ) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for batch in token_batches(token_lengths(self.model, texts), batch_size, max_tokens):
            features = self.model.preprocess([texts[i] for i in batch])
            feeds = {
                name: (
                    features[name].numpy()
                    if name in features
                    else np.zeros_like(features["input_ids"].numpy())
                )
                for name in self.inputs
            }
            out[batch] = self.session.run(None, feeds)[0]
        return out


def distill_static(model_path: str, directory: Path, token_remove_pattern: str | None) -> None:
    """Distil a model2vec static model from the local model (one forward pass per token)."""
    from model2vec.distill import distill

    static = distill(
        model_path,
        pca_dims=STATIC_DIMS,
        quantize_to="float32",
        token_remove_pattern=token_remove_pattern,
    )
    static.save_pretrained(str(directory))


class StaticEncoder:
    """model2vec: a token-vector lookup and mean, no transformer at inference time."""

    def __init__(self, path: Path) -> None:
        from model2vec import StaticModel

        self.model = StaticModel.from_pretrained(path, normalize=False, force_download=False)
        self.dim = int(self.model.dim)

    def encode(
        self, texts: list[str], batch_size: int, progress: bool, max_tokens: int | None = None
    ) -> np.ndarray:
        """`max_tokens` does not apply: a static model's work is a lookup and a mean."""
        vectors = self.model.encode(
            texts,
            batch_size=max(batch_size, 1024),
            max_length=STATIC_MAX_TOKENS,
            show_progress_bar=progress,
            use_multiprocessing=False,  # the flow's runner owns the parallelism
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


def load_encoder(
    model_path: str,
    model: str,
    backend: str,
    store: Path,
    device: str | None,
    max_seq_length: int | None,
) -> Encoder:
    """The encoder for `backend`, exporting or distilling it into `store` the first time."""
    if backend not in BACKENDS:
        raise ValueError(f"index.backend: unknown backend {backend!r}")
    if backend == "model2vec":
        target = store_dir(store, model, backend)
        ensure_exported(target, lambda tmp: distill_static(model_path, tmp, DEFAULT_TOKEN_REMOVE))
        return StaticEncoder(target)
    from sentence_transformers import SentenceTransformer

    loaded = SentenceTransformer(model_path, device="cpu" if backend != "torch" else device)
    if max_seq_length is not None:
        loaded.max_seq_length = max_seq_length
    if backend == "torch":
        return TorchEncoder(loaded)
    quantize = backend == "onnx-int8"
    target = store_dir(store, model, backend)
    ensure_exported(target, lambda tmp: export_onnx(loaded, tmp, quantize))
    return OnnxEncoder(loaded, target / ("model-int8.onnx" if quantize else "model.onnx"))
