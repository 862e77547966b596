"""Exact, near-duplicate (MinHash-LSH) and semantic deduplication.

Every removed row names the row it duplicates (`duplicate_of`) and the method (`reason`).
Inside each duplicate cluster the keep policy decides the survivor: the first row in table
order, the longest text, or a priority list of `source_name`s (ties fall back to table order).

Near duplicates are clustered greedily in keep-priority order: the best remaining row survives
and removes every row whose estimated Jaccard similarity *to it* reaches the threshold. So each
removed row is a verified near duplicate of the row it points to (no transitive chains), and two
survivors are never a verified pair.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import faiss
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field, field_validator

from filters.base import StageResult, split_by_mask
from filters.text_normalize import as_large_string, normalize_texts

KeepPolicy = Literal["first", "longest"] | list[str]

_MAX_EXAMPLES = 5
_SENTENCE_END = r"[.!?;:|。！？؟।]+"  # "|" too: it is the boundary token below
_NON_WORD = r"[^\p{L}\p{N}|]+"
_BOUNDARY = "|"
_UINT32_MAX = np.uint64(0xFFFFFFFF)
_SHINGLES_PER_CHUNK = 1 << 15
_DOCS_PER_BATCH = 20_000  # bounds the per-batch token arrays (~100 MB at 20k short docs)
_WINDOW = 16  # candidate pairs inside one LSH bucket: each row against its next 16 neighbours


class ExactDedupConfig(BaseModel):
    """Exact duplicates after normalisation."""

    model_config = ConfigDict(extra="forbid")

    nfkc: bool = True
    casefold: bool = True
    collapse_whitespace: bool = True


class NearDedupConfig(BaseModel):
    """MinHash-LSH near duplicates over word shingles that never cross a sentence boundary."""

    model_config = ConfigDict(extra="forbid")

    jaccard: float = Field(0.5, gt=0.0, le=1.0, description="estimated Jaccard to count as dup")
    num_perm: int = Field(128, ge=16, le=1024)
    shingle_size: int = Field(3, ge=1, le=16, description="words per shingle")
    bands: int | None = Field(
        None, ge=1, description="LSH bands; None picks bands x rows for the threshold"
    )
    seed: int = 1


class SemanticDedupConfig(BaseModel):
    """Embedding near duplicates: cosine similarity of L2-normalised embeddings."""

    model_config = ConfigDict(extra="forbid")

    cosine: float = Field(0.95, gt=0.0, le=1.0)
    exact_max_rows: int = Field(
        20_000, ge=0, description="exact pair search up to this many rows, IVF above (linear time)"
    )
    nprobe: int = Field(
        8, ge=1, description="IVF: inverted lists searched per row (more: fewer missed pairs)"
    )
    seed: int = Field(0, description="IVF: seed that draws the list centres")


class DedupConfig(BaseModel):
    """The recipe's `filters.dedup` section.

    `deduplicate` runs `exact` then `near`; `semantic` runs later through `semantic_dedup`,
    once the index stage has computed the embeddings.
    """

    model_config = ConfigDict(extra="forbid")

    exact: ExactDedupConfig | None = ExactDedupConfig()
    near: NearDedupConfig | None = NearDedupConfig()
    semantic: SemanticDedupConfig | None = None
    keep: KeepPolicy = "first"

    @field_validator("exact", "near", "semantic", mode="before")
    @classmethod
    def _switch(cls, value: Any) -> Any:
        """Recipes may write `near: true` (defaults) or `near: false` (off)."""
        if value is True:
            return {}
        return None if value is False else value


# --------------------------------------------------------------------------- keep policy


def keep_rank(table: pa.Table, keep: KeepPolicy) -> np.ndarray:
    """Rank of every row in keep priority (0 survives first); deterministic, ties by position."""
    n = table.num_rows
    position = np.arange(n, dtype=np.int64)
    if keep == "first":
        return position
    if keep == "longest":
        length = pc.fill_null(pc.utf8_length(table["text"]), 0).to_numpy().astype(np.int64)
        order = np.lexsort((position, -length))
    elif isinstance(keep, list):
        priority = {name: i for i, name in enumerate(keep)}
        names = table["source_name"].to_pylist()
        source_rank = np.fromiter((priority.get(s, len(keep)) for s in names), np.int64, n)
        order = np.lexsort((position, source_rank))
    else:
        raise ValueError(f"keep: expected 'first', 'longest' or a list of source names, got {keep}")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = position
    return rank


# --------------------------------------------------------------------------- exact


def exact_duplicates(table: pa.Table, config: ExactDedupConfig, rank: np.ndarray) -> np.ndarray:
    """Index of the surviving row for each row (itself when it survives)."""
    normalized = normalize_texts(
        pc.fill_null(table["text"], ""),
        nfkc=config.nfkc,
        fold_case=config.casefold,
        collapse_whitespace=config.collapse_whitespace,
    )
    codes = pc.dictionary_encode(normalized).indices.to_numpy(zero_copy_only=False)
    order = np.lexsort((rank, codes))
    first_of_group = np.ones(len(order), dtype=bool)
    first_of_group[1:] = codes[order][1:] != codes[order][:-1]
    survivor_of_code = np.empty(int(codes.max(initial=-1)) + 1, dtype=np.int64)
    survivor_of_code[codes[order][first_of_group]] = order[first_of_group]
    return survivor_of_code[codes]


# --------------------------------------------------------------------------- MinHash


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads combined word hashes over all 64 bits."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _words(texts: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Word hashes, each word's document and whether it starts a sentence, for a batch."""
    # at least as coarse as any exact-dedup normalisation, so exact copies share a signature
    text = normalize_texts(pc.fill_null(texts, ""), collapse_whitespace=False)
    text = pc.replace_substring_regex(text, _SENTENCE_END, f" {_BOUNDARY} ")
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, _NON_WORD, " "))
    tokens = pc.utf8_split_whitespace(text)
    counts = pc.list_value_length(tokens).to_numpy(zero_copy_only=False).astype(np.int64)
    flat = pc.list_flatten(tokens)
    doc = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    nonempty = pc.not_equal(flat, "")  # an empty text splits into [""]
    flat, doc = flat.filter(nonempty), doc[nonempty.to_numpy(zero_copy_only=False)]
    if len(flat) == 0:
        return np.empty(0, dtype=np.uint64), doc, np.empty(0, dtype=bool)
    is_boundary = pc.equal(flat, _BOUNDARY).to_numpy(zero_copy_only=False)
    starts_doc = np.zeros(len(doc), dtype=bool)
    starts_doc[0] = True
    starts_doc[1:] = doc[1:] != doc[:-1]
    after_boundary = np.zeros(len(doc), dtype=bool)
    after_boundary[1:] = is_boundary[:-1]
    starts_sentence = (starts_doc | after_boundary)[~is_boundary]
    encoded = pc.dictionary_encode(flat.filter(pc.invert(pa.array(is_boundary))))
    vocabulary = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    word_hash = pd.util.hash_array(vocabulary)[encoded.indices.to_numpy()]
    return word_hash, doc[~is_boundary], starts_sentence


def _shingles(
    word_hash: np.ndarray, word_doc: np.ndarray, starts_sentence: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """32-bit shingle hashes and their documents; a sentence shorter than `size` is one shingle."""
    n = len(word_hash)
    # sentences also restart at a document start, so a sentence id alone separates documents
    sentence = np.cumsum(starts_sentence) - 1
    sentence_start = np.flatnonzero(starts_sentence)
    sentence_len = np.diff(np.append(sentence_start, n))
    position = np.arange(n) - sentence_start[sentence]
    remaining = sentence_len[sentence] - position
    is_start = (remaining >= size) | ((position == 0) & (sentence_len[sentence] < size))
    starts = np.flatnonzero(is_start)
    combined = np.zeros(len(starts), dtype=np.uint64)
    for offset in range(size):
        inside = offset < remaining[starts]
        term = word_hash[np.minimum(starts + offset, n - 1)]
        combined = np.where(inside, _mix64(combined ^ term), combined)
    return _mix64(combined) >> np.uint64(32), word_doc[starts]


def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Multiply-add-shift hash family ((a*x + b) mod 2^64) >> 32 for 32-bit shingle hashes."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    return a, b


def _chunk_minima(
    shingle: np.ndarray, doc: np.ndarray, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-document minima of all permutations over one chunk of shingles (docs sorted)."""
    hashed = np.multiply.outer(shingle, a)
    hashed += b
    hashed >>= np.uint64(32)
    segment_start = np.flatnonzero(np.concatenate(([True], doc[1:] != doc[:-1])))
    minima = np.minimum.reduceat(hashed, segment_start, axis=0).astype(np.uint32)
    return doc[segment_start], minima


def minhash_signatures(
    texts: pa.Array | pa.ChunkedArray, config: NearDedupConfig, threads: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """(n, num_perm) uint32 MinHash signatures and a mask of rows that have any word."""
    array = as_large_string(texts)
    n = len(array)
    a, b = _permutations(config.num_perm, config.seed)
    signatures = np.full((n, config.num_perm), np.uint32(_UINT32_MAX), dtype=np.uint32)
    has_words = np.zeros(n, dtype=bool)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for first in range(0, n, _DOCS_PER_BATCH):
            batch = array.slice(first, _DOCS_PER_BATCH)
            word_hash, word_doc, starts_sentence = _words(batch)
            if len(word_hash) == 0:
                continue
            shingle, doc = _shingles(word_hash, word_doc, starts_sentence, config.shingle_size)
            doc += first
            has_words[doc] = True
            cuts = range(0, len(shingle), _SHINGLES_PER_CHUNK)
            parts = pool.map(
                _chunk_minima,
                [shingle[c : c + _SHINGLES_PER_CHUNK] for c in cuts],
                [doc[c : c + _SHINGLES_PER_CHUNK] for c in cuts],
                itertools.repeat(a),
                itertools.repeat(b),
            )
            for docs, minima in parts:  # a document cut by a chunk edge appears in both
                signatures[docs] = np.minimum(signatures[docs], minima)
    return signatures, has_words


def lsh_bands(
    threshold: float, num_perm: int, recall_at_threshold: float = 0.95
) -> tuple[int, int]:
    """(bands, rows) with the fewest low-similarity candidates that still makes a pair at the
    threshold a candidate with probability `recall_at_threshold`.

    Recall is protected rather than traded off evenly, because every candidate is verified on the
    full signature afterwards: a false candidate costs a comparison, a missed one costs recall.
    """
    grid = np.linspace(0.0, threshold, 501)
    best, best_area = (num_perm, 1), np.inf
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if 1.0 - (1.0 - threshold**rows) ** bands < recall_at_threshold:
            continue
        area = np.trapezoid(1.0 - (1.0 - grid**rows) ** bands, grid)
        if area < best_area:
            best, best_area = (bands, rows), area
    return best


def _band_keys(signatures: np.ndarray, rows: np.ndarray, start: int, stop: int) -> np.ndarray:
    """64-bit bucket key of one band, column by column so no signature copy is made."""
    key = np.zeros(len(rows), dtype=np.uint64)
    for column in range(start, stop):
        key = _mix64(key ^ signatures[rows, column].astype(np.uint64))
    return key


def bucket_pairs(signatures: np.ndarray, rows: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Candidate pairs of one LSH band, as unique codes i * n + j (i < j).

    Inside a bucket each row is paired with its next `_WINDOW` rows and with the bucket's first
    row (in row order): linear work even on huge buckets of boilerplate, and a big cluster of
    copies still collapses onto one survivor.
    """
    n = len(signatures)
    key = _band_keys(signatures, rows, start, stop)
    order = np.argsort(key, kind="stable")
    sorted_key, sorted_rows = key[order], rows[order]
    starts_bucket = np.concatenate(([True], sorted_key[1:] != sorted_key[:-1]))
    bucket_first = sorted_rows[np.flatnonzero(starts_bucket)][np.cumsum(starts_bucket) - 1]
    members = ~starts_bucket
    found = [bucket_first[members] * n + sorted_rows[members]]
    for distance in range(1, _WINDOW + 1):
        same = np.flatnonzero(sorted_key[distance:] == sorted_key[:-distance])
        if len(same) == 0:
            break
        # the sort is stable and rows ascend, so the first row of a pair is the smaller
        found.append(sorted_rows[same] * n + sorted_rows[same + distance])
    return np.unique(np.concatenate(found))


def estimated_jaccard(signatures: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Fraction of equal MinHash values, computed in bounded-memory chunks."""
    out = np.empty(len(left), dtype=np.float64)
    step = max(1, (1 << 24) // signatures.shape[1])
    for s in range(0, len(left), step):
        equal = signatures[left[s : s + step]] == signatures[right[s : s + step]]
        out[s : s + step] = equal.mean(axis=1)
    return out


def near_duplicate_pairs(
    texts: pa.Array | pa.ChunkedArray, config: NearDedupConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Verified near-duplicate pairs (i < j, estimated Jaccard) among texts that have words.

    Candidates are verified band by band, so memory holds one band's candidates plus the
    verified pairs, never the union of all candidates.
    """
    signatures, has_words = minhash_signatures(texts, config)
    n = len(signatures)
    rows = np.flatnonzero(has_words)
    if config.bands is None:
        bands, band_rows = lsh_bands(config.jaccard, config.num_perm)
    else:
        bands, band_rows = config.bands, config.num_perm // config.bands
    verified = np.empty(0, dtype=np.int64)
    for band in range(bands):
        codes = bucket_pairs(signatures, rows, band * band_rows, (band + 1) * band_rows)
        codes = codes[~np.isin(codes, verified, assume_unique=True)]
        similarity = estimated_jaccard(signatures, codes // n, codes % n)
        verified = np.union1d(verified, codes[similarity >= config.jaccard])
    left, right = verified // n, verified % n
    return left, right, estimated_jaccard(signatures, left, right)


def greedy_survivors(
    rank: np.ndarray, left: np.ndarray, right: np.ndarray, similarity: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Walk rows in keep order; a surviving row removes its still-present neighbours.

    Returns, per row, the index of the row it duplicates (-1 when it survives) and the
    similarity to that row.
    """
    n = len(rank)
    duplicate_of = np.full(n, -1, dtype=np.int64)
    similarity_to_survivor = np.zeros(n, dtype=np.float64)
    if len(left) == 0:
        return duplicate_of, similarity_to_survivor
    source = np.concatenate((left, right))
    target = np.concatenate((right, left))
    weight = np.concatenate((similarity, similarity))
    order = np.lexsort((rank[target], rank[source]))
    source, target, weight = source[order], target[order], weight[order]
    boundaries = np.flatnonzero(np.concatenate(([True], source[1:] != source[:-1], [True])))
    removed = np.zeros(n, dtype=bool)
    for start, stop in itertools.pairwise(boundaries):
        node = source[start]
        if removed[node]:
            continue
        neighbours = target[start:stop]
        fresh = ~removed[neighbours]
        removed[neighbours[fresh]] = True
        duplicate_of[neighbours[fresh]] = node
        similarity_to_survivor[neighbours[fresh]] = weight[start:stop][fresh]
    return duplicate_of, similarity_to_survivor


# --------------------------------------------------------------------------- stages


def _examples(
    ids: list[str], duplicate_of: np.ndarray, similarity: np.ndarray
) -> list[dict[str, Any]]:
    """A few removed/kept pairs for the card, least similar first: those are the informative
    ones (an exact copy teaches a reader little); ties in table order."""
    removed = np.flatnonzero(duplicate_of >= 0)
    removed = removed[np.argsort(similarity[removed], kind="stable")][:_MAX_EXAMPLES]
    return [
        {
            "removed_id": ids[i],
            "kept_id": ids[duplicate_of[i]],
            "similarity": round(float(similarity[i]), 4),
        }
        for i in removed
    ]


def deduplicate(table: pa.Table, config: DedupConfig) -> StageResult:
    """Exact then near-duplicate dedup; each removed row points at the row that survives."""
    n = table.num_rows
    rank = keep_rank(table, config.keep)
    ids = table["id"].to_pylist()
    duplicate_of = np.full(n, -1, dtype=np.int64)
    similarity = np.zeros(n, dtype=np.float64)
    method = np.full(n, "", dtype=object)
    if config.exact is not None:
        survivor = exact_duplicates(table, config.exact, rank)
        exact = survivor != np.arange(n)
        duplicate_of[exact] = survivor[exact]
        similarity[exact] = 1.0
        method[exact] = "exact"
    if config.near is not None:
        remaining = np.flatnonzero(duplicate_of < 0)
        left, right, sim = near_duplicate_pairs(table["text"].take(remaining), config.near)
        near_of, near_sim = greedy_survivors(rank, remaining[left], remaining[right], sim)
        # exact copies of a row removed here follow it: their shingles, so Jaccard, are its own
        follows = (method == "exact") & (near_of[np.maximum(duplicate_of, 0)] >= 0)
        near_of[follows] = near_of[duplicate_of[follows]]
        near_sim[follows] = near_sim[duplicate_of[follows]]
        near = near_of >= 0
        duplicate_of[near] = near_of[near]
        similarity[near] = near_sim[near]
        method[near] = "near"
    remove = duplicate_of >= 0
    removed_rows = np.flatnonzero(remove)
    reasons = [f"duplicate:{method[i]}" for i in removed_rows]
    details = [
        "exact match after normalisation"
        if method[i] == "exact"
        else f"jaccard {similarity[i]:.2f}"
        for i in removed_rows
    ]
    kept, removed = split_by_mask(
        table, remove, reasons, details, [ids[duplicate_of[i]] for i in removed_rows]
    )
    stats: dict[str, Any] = {
        "exact": int((method == "exact").sum()),
        "near": int((method == "near").sum()),
        "examples": _examples(ids, duplicate_of, similarity),
    }
    return StageResult(kept=kept, removed=removed, stats=stats)


def _pair_index(vectors: np.ndarray, config: SemanticDedupConfig) -> faiss.Index:
    """Exact inner-product index for small sets. Above `exact_max_rows`, where exact all-pairs
    search grows with n², an IVF index whose 4·sqrt(n) lists are centred on rows drawn with the
    seed (no k-means: near copies at cosine ≥ 0.9 fall in the same or a neighbouring list
    whatever the centres, and training would cost more than the search)."""
    n, dim = vectors.shape
    if n <= config.exact_max_rows:
        index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        return index
    lists = int(4 * np.sqrt(n))
    centres = np.random.default_rng(config.seed).choice(n, lists, replace=False)
    quantizer = faiss.IndexFlatIP(dim)
    quantizer.add(vectors[np.sort(centres)])
    index = faiss.IndexIVFFlat(quantizer, dim, lists, faiss.METRIC_INNER_PRODUCT)
    index.is_trained = True
    index.nprobe = min(config.nprobe, lists)
    index.add(vectors)
    return index


def semantic_pairs(
    embeddings: np.ndarray, config: SemanticDedupConfig, query_batch: int = 4096
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (i < j) whose embeddings' inner product (cosine, rows L2-normalised) exceeds
    `config.cosine`, queried in batches so memory stays bounded."""
    vectors = np.ascontiguousarray(embeddings, dtype=np.float32)
    index = _pair_index(vectors, config)
    lefts, rights, sims = [], [], []
    for first in range(0, len(vectors), query_batch):
        limits, scores, neighbours = index.range_search(
            vectors[first : first + query_batch], config.cosine
        )
        query = first + np.repeat(np.arange(len(limits) - 1), np.diff(limits.astype(np.int64)))
        neighbours = neighbours.astype(np.int64)
        other = neighbours != query  # never a row with itself
        lefts.append(np.minimum(query, neighbours)[other])
        rights.append(np.maximum(query, neighbours)[other])
        sims.append(scores[other].astype(np.float64))
    if not lefts:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0, dtype=np.float64)
    # a pair is found from either side or both (IVF may miss one): keep each once, in order
    left, right, sim = np.concatenate(lefts), np.concatenate(rights), np.concatenate(sims)
    order = np.lexsort((right, left))
    left, right, sim = left[order], right[order], sim[order]
    first_of_pair = np.ones(len(left), dtype=bool)
    first_of_pair[1:] = (left[1:] != left[:-1]) | (right[1:] != right[:-1])
    return left[first_of_pair], right[first_of_pair], sim[first_of_pair]


def semantic_dedup(
    table: pa.Table,
    embeddings: np.ndarray,
    config: SemanticDedupConfig,
    keep: KeepPolicy = "first",
) -> StageResult:
    """Remove rows whose embedding is within `config.cosine` of a surviving row's.

    `embeddings` are the index stage's L2-normalised vectors, one per table row in order,
    so nothing is embedded twice.
    """
    if embeddings.shape[0] != table.num_rows:
        raise ValueError(f"embeddings: {embeddings.shape[0]} rows for a table of {table.num_rows}")
    ids = table["id"].to_pylist()
    left, right, similarity = semantic_pairs(embeddings, config)
    duplicate_of, similarity_to_survivor = greedy_survivors(
        keep_rank(table, keep), left, right, similarity
    )
    removed_rows = np.flatnonzero(duplicate_of >= 0)
    kept, removed = split_by_mask(
        table,
        duplicate_of >= 0,
        "duplicate:semantic",
        [f"cosine {similarity_to_survivor[i]:.3f}" for i in removed_rows],
        [ids[duplicate_of[i]] for i in removed_rows],
    )
    stats = {
        "semantic": len(removed_rows),
        "examples": _examples(ids, duplicate_of, similarity_to_survivor),
    }
    return StageResult(kept=kept, removed=removed, stats=stats)
