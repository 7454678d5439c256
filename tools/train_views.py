"""Fit the category model's nearest-centroid views (analysis/category_views.py).

Word vectors: the word2vec file bundled in the PyPI source distribution of ``synonyms``
3.8.0 (MIT; 125,796 words x 100 dimensions trained on Chinese Wikipedia, see that
package's README). Training only: the packaged views keep, per word, its IDF and its dot
products with the class centroids, not the vectors. The archive is fetched once with pip
into var/cache/ (git-ignored); nothing of it is committed.
"""

from __future__ import annotations

import math
import subprocess
import sys
import tarfile
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.category_views import (  # noqa: E402
    MIN_LEN,
    TITLE_REPEAT,
    CentroidViews,
    names_array,
)

ROOT = Path(__file__).resolve().parents[1]
VECTORS_PACKAGE = "synonyms==3.8.0"
VECTORS_MEMBER = "synonyms-3.8.0/synonyms/data/words.vector"
CACHE = ROOT / "var" / "cache"
EMB_SCALE = 1 / 127  # int8 dot products: cosines lie in [-1, 1]
MIN_DF = 2


def vectors_file() -> Path:
    out = CACHE / "synonyms-3.8.0-words.vector"
    if out.exists():
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    archive = CACHE / "synonyms-3.8.0.tar.gz"
    if not archive.exists():
        print(f"fetching {VECTORS_PACKAGE} (54 MB) from PyPI for its word vectors")
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary",
                        ":all:", "-d", str(CACHE), VECTORS_PACKAGE], check=True)
    with tarfile.open(archive) as tar:
        member = tar.extractfile(VECTORS_MEMBER)
        if member is None:
            raise FileNotFoundError(f"{archive}: no {VECTORS_MEMBER}")
        tmp = out.with_suffix(".part")
        tmp.write_bytes(member.read())
        tmp.rename(out)
    return out


def load_vectors(path: Path) -> tuple[list[str], np.ndarray]:
    """A binary word2vec file: header "N DIM\\n", then per word "word " + DIM float32."""
    data = path.read_bytes()
    nl = data.index(b"\n")
    n, dim = map(int, data[:nl].split())
    pos = nl + 1
    words: list[str] = []
    vecs = np.empty((n, dim), np.float32)
    for i in range(n):
        sp = data.index(b" ", pos)
        words.append(data[pos:sp].decode("utf-8", "replace").strip())
        pos = sp + 1
        vecs[i] = np.frombuffer(data, np.float32, dim, pos)
        pos += 4 * dim
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9
    return words, vecs


def usable_vectors(words: list[str], vecs: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Words the segmenter can produce (in jieba's dictionary), of two or more characters
    and not ASCII; the first spelling of each."""
    import jieba

    jieba.initialize()
    freq = jieba.dt.FREQ
    seen: set[str] = set()
    keep = []
    for i, w in enumerate(words):
        if len(w) >= MIN_LEN and not w.isascii() and freq.get(w) and w not in seen:
            seen.add(w)
            keep.append(i)
    return [words[i] for i in keep], vecs[keep]


def _unit_rows(a: np.ndarray) -> np.ndarray:
    return a / (np.linalg.norm(a, axis=1, keepdims=True) + 1e-12)


def fit_views(title_tokens: list[list[str]], tokens: list[list[str]], y: np.ndarray,
              classes: list[str], vocab: tuple[list[str], np.ndarray],
              weight_tfidf: float = 0.0, weight_emb: float = 0.0) -> dict[str, np.ndarray]:
    """The arrays of ``category_views.npz``, fitted on these messages (``tokens`` include
    the title's, as the pipeline makes them)."""
    import json

    k = len(classes)
    n = len(y)
    counts = np.bincount(y, minlength=k)
    if (counts == 0).any():
        raise ValueError("every class needs a training message: "
                         + ", ".join(c for c, m in zip(classes, counts, strict=True) if not m))
    # TF-IDF view (sklearn's TfidfVectorizer(min_df=2, sublinear_tf=True) by hand, so the
    # runtime formula is the one fitted).
    bags = [Counter([t for t in tt if len(t) >= MIN_LEN] * TITLE_REPEAT
                    + [t for t in dt if len(t) >= MIN_LEN])
            for tt, dt in zip(title_tokens, tokens, strict=True)]
    df = Counter(w for b in bags for w in b)
    tf_words = sorted(w for w, c in df.items() if c >= MIN_DF)
    col = {w: j for j, w in enumerate(tf_words)}
    idf = np.array([math.log((1 + n) / (1 + df[w])) + 1 for w in tf_words])
    cen = np.zeros((k, len(tf_words)))
    for b, c in zip(bags, y, strict=True):
        row = np.zeros(len(tf_words))
        for w, m in b.items():
            j = col.get(w)
            if j is not None:
                row[j] = (1 + math.log(m)) * idf[j]
        norm = np.linalg.norm(row)
        if norm:
            cen[c] += row / norm
    cen = _unit_rows(cen / counts[:, None])
    tfidf_w = (cen * idf).T  # words x classes
    # Word-vector view: IDF over the messages' tokens; centroids of the unit-length
    # IDF-weighted mean vectors of text and title.
    words, vecs = vocab
    index = {w: i for i, w in enumerate(words)}
    df_tok = Counter(w for dt in tokens for w in set(dt))
    emb_idf = np.array([max(0.0, math.log((n + 1) / (1 + df_tok.get(w, 0)))) for w in words],
                       dtype=np.float32)

    def mean_vectors(docs: list[list[str]]) -> np.ndarray:
        out = np.zeros((len(docs), vecs.shape[1]), dtype=np.float32)
        for r, d in enumerate(docs):
            rows = [i for i in map(index.get, d) if i is not None]
            total = float(emb_idf[rows].sum())
            if total > 0:
                out[r] = emb_idf[rows] @ vecs[rows] / total
        return _unit_rows(out)

    def centroids(m: np.ndarray) -> np.ndarray:
        return _unit_rows(np.stack([m[y == c].mean(axis=0) for c in range(k)]))

    emb_text = vecs @ centroids(mean_vectors(tokens)).T
    emb_title = vecs @ centroids(mean_vectors(title_tokens)).T
    meta = {"classes": classes, "weight_tfidf": weight_tfidf, "weight_emb": weight_emb,
            "emb_scale": EMB_SCALE, "vectors": f"{VECTORS_PACKAGE} (PyPI sdist), "
            f"{VECTORS_MEMBER}: word2vec on Chinese Wikipedia; {len(words)} words kept "
            "(in jieba's dictionary, >= 2 characters, not ASCII)",
            "trained_on": f"{n} annotated messages", "script": "tools/train_category.py"}

    def q(a: np.ndarray) -> np.ndarray:
        return np.clip(np.round(a / EMB_SCALE), -127, 127).astype(np.int8)

    return {
        "meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"),
                              dtype=np.uint8),
        "tfidf_words": names_array(tf_words),
        "tfidf_w": tfidf_w.astype(np.float16),
        "emb_words": names_array(words),
        "emb_idf": emb_idf.astype(np.float16),
        "emb_text": q(emb_text),
        "emb_title": q(emb_title),
    }


def with_weights(arrays: dict[str, np.ndarray], weight_tfidf: float,
                 weight_emb: float) -> dict[str, np.ndarray]:
    import json

    meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
    meta.update(weight_tfidf=weight_tfidf, weight_emb=weight_emb)
    return {**arrays, "meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(
        "utf-8"), dtype=np.uint8)}


def view_scores(views: CentroidViews, title_tokens: list[list[str]],
                tokens: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Standardised (tfidf, emb) scores of messages, rows in order."""
    from analysis.category_views import standardise

    t = np.stack([standardise(views.tfidf(tt, dt))
                  for tt, dt in zip(title_tokens, tokens, strict=True)])
    e = np.stack([standardise(views.emb(tt, dt))
                  for tt, dt in zip(title_tokens, tokens, strict=True)])
    return t, e
