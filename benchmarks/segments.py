"""Benchmark: RFM + k-means (k chosen in 2..8) on 50,000 accounts, beside plain scikit-learn.

Run: ``.venv/bin/python benchmarks/segments.py [--accounts 50000] [--baseline-silhouette-rows N]``

Prints seconds and the growth of peak resident memory (sampled) for
1. kamcore: ``segments.rfm`` + ``segments.kmeans_segments(k=None, k_range=(2, 8))``
   (MiniBatchKMeans, silhouette on a 5,000-row sample, Calinski–Harabasz, Davies–Bouldin,
   gap statistic, stability re-runs), target < 5 s in total;
2. baseline: pandas groupby RFM + StandardScaler + ``KMeans(n_init=10)`` per k and
   ``silhouette_score`` on all rows (by default), the textbook approach.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kamcore import segments  # noqa: E402

FEATURES = ["recency_days", "frequency", "monetary"]
TARGET_SECONDS = 5.0


def make_transactions(n_accounts: int, seed: int = 20261123) -> pd.DataFrame:
    """Invoice lines for ``n_accounts`` accounts over three years, three behaviour types."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(3, size=n_accounts, p=[0.2, 0.5, 0.3])  # loyal, occasional, lapsed
    orders = np.maximum(1, rng.poisson(np.array([25.0, 6.0, 2.0])[kind]))
    account = np.repeat(np.arange(n_accounts), orders)
    kind_of_line = kind[account]
    end = pd.Timestamp("2026-10-31")
    # Lapsed accounts stopped buying long ago; loyal ones buy until the end.
    last_day = np.array([0, 120, 600])[kind_of_line] + rng.integers(0, 60, size=len(account))
    span = np.array([1095, 900, 400])[kind_of_line]
    days_back = last_day + rng.integers(0, span)
    value = rng.lognormal(mean=np.array([8.0, 7.0, 6.5])[kind_of_line], sigma=0.8)
    return pd.DataFrame(
        {
            "customer_id": pd.Series(account).map("{:06d}".format),
            "date": end - pd.to_timedelta(days_back, unit="D"),
            "order_id": np.arange(len(account)).astype("str"),
            "revenue": value.round(2),
        }
    )


def rss_bytes() -> int:
    """Resident memory of this process (Linux /proc), in bytes."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRss:
    """Highest resident memory seen while the block runs, sampled every 5 ms."""

    def __enter__(self) -> PeakRss:
        self.start = rss_bytes()
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_bytes())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())


def measure(label: str, work) -> tuple[object, float, float]:
    # RSS sampling, not tracemalloc: tracing every NumPy allocation slowed the runs 5-7x.
    with PeakRss() as memory:
        started = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - started
    growth = memory.peak - memory.start
    print(
        f"  {label:<48} {seconds:8.2f} s   peak RSS +{growth / 2**20:7.1f} MiB",
        flush=True,
    )
    return result, seconds, growth


def kamcore_run(transactions: pd.DataFrame) -> dict:
    rfm, rfm_s, _ = measure(
        "kamcore rfm", lambda: segments.rfm(transactions, "customer_id", "date", "revenue", order="order_id")
    )
    result, km_s, _ = measure(
        "kamcore kmeans_segments (k auto 2..8)",
        lambda: segments.kmeans_segments(rfm, FEATURES, k=None, k_range=(2, 8)),
    )
    return {"rfm": rfm, "result": result, "seconds": rfm_s + km_s}


def baseline_run(transactions: pd.DataFrame, silhouette_rows: int | None) -> dict:
    def rfm_plain() -> pd.DataFrame:
        as_of = transactions["date"].max() + pd.Timedelta(days=1)
        grouped = transactions.groupby("customer_id")
        return pd.DataFrame(
            {
                "recency_days": (as_of - grouped["date"].max()).dt.days,
                "frequency": grouped["order_id"].nunique(),
                "monetary": grouped["revenue"].sum(),
            }
        )

    rfm, rfm_s, _ = measure("baseline pandas RFM", rfm_plain)
    scaled = StandardScaler().fit_transform(rfm[FEATURES].to_numpy())
    what = "all rows" if silhouette_rows is None else f"{silhouette_rows} rows"

    def scan() -> dict[int, tuple[float, np.ndarray]]:
        found = {}
        for k in range(2, 9):
            labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(scaled)
            score = silhouette_score(scaled, labels, sample_size=silhouette_rows, random_state=0)
            found[k] = (float(score), labels)
            print(f"    baseline k={k}: silhouette {score:.3f}", flush=True)
        return found

    found, scan_s, _ = measure(f"baseline KMeans per k + silhouette ({what})", scan)
    best = max(found, key=lambda k: found[k][0])
    return {"rfm": rfm, "found": found, "best": best, "seconds": rfm_s + scan_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument(
        "--baseline-silhouette-rows",
        type=int,
        default=None,
        help="sample size for the baseline's silhouette (default: all rows, as plain sklearn does)",
    )
    args = parser.parse_args()

    transactions = make_transactions(args.accounts)
    print(f"{args.accounts:,} accounts, {len(transactions):,} invoice lines\n")
    ours = kamcore_run(transactions)
    base = baseline_run(transactions, args.baseline_silhouette_rows)

    result: segments.SegmentResult = ours["result"]
    print()
    print(
        f"kamcore : k = {result.k} ({result.choice_rule}); {result.algorithm}; "
        f"silhouette {result.silhouette_method}; stability ARI {result.stability_ari:.2f}"
    )
    print(f"          {result.choice_reason}")
    print(f"baseline: k = {base['best']} (highest silhouette)")
    assert len(ours["rfm"]) == len(base["rfm"]) == args.accounts
    same = ours["rfm"][FEATURES].astype(float).to_numpy()
    assert np.allclose(same, base["rfm"].loc[ours["rfm"].index, FEATURES].astype(float).to_numpy())
    print("RFM values identical in both runs.")
    if result.k in base["found"]:
        ours_labels = result.labels.loc[ours["rfm"].index].astype("int64").to_numpy()
        ari = adjusted_rand_score(ours_labels, base["found"][result.k][1])
        print(f"Agreement with the baseline's KMeans at k = {result.k}: ARI {ari:.3f}")
    print()
    print(
        f"total kamcore  {ours['seconds']:6.2f} s   (target < {TARGET_SECONDS:.0f} s: "
        f"{'met' if ours['seconds'] < TARGET_SECONDS else 'NOT met'})"
    )
    print(f"total baseline {base['seconds']:6.2f} s")


def fixed_k(transactions: pd.DataFrame, k: int = 4, repeat: int = 7) -> None:
    """k-means at a fixed k on the RFM scores, beside one plain scikit-learn fit (issue 19).

    kamcore: ``kmeans_segments(k=4, diagnostics=False)`` — what the Segments page computes
    with k fixed until the quality indices are asked for (row checks, canonical order,
    scaling, the fit on the distinct rows weighted by count, segments renumbered). Baseline:
    ``StandardScaler`` + ``KMeans(n_clusters=4, random_state=0).fit`` on the same scores
    (scikit-learn's default single k-means++ start). Interleaved, best of ``repeat``.
    Target: kamcore <= 3 x the baseline.
    """
    rfm = segments.rfm(transactions, "customer_id", "date", "revenue", order="order_id")
    scores = ["r_score", "f_score", "m_score"]

    def ours() -> object:
        return segments.kmeans_segments(rfm, scores, k=k, diagnostics=False)

    def plain() -> object:
        return KMeans(n_clusters=k, random_state=0).fit(StandardScaler().fit_transform(rfm[scores].to_numpy(float)))

    best = {"ours": float("inf"), "plain": float("inf")}
    for _ in range(repeat):
        for label, func in (("ours", ours), ("plain", plain)):
            start = time.perf_counter()
            func()
            best[label] = min(best[label], time.perf_counter() - start)
    full_start = time.perf_counter()
    segments.kmeans_segments(rfm, scores, k=k)
    full = time.perf_counter() - full_start
    ratio = best["ours"] / best["plain"]
    print(f"\nk-means at k = {k} on r/f/m scores of {len(rfm):,} accounts (best of {repeat}):")
    print(f"  kamcore kmeans_segments(k={k}, diagnostics=False) {best['ours']:7.3f} s")
    print(f"  plain scikit-learn StandardScaler + KMeans.fit   {best['plain']:7.3f} s")
    print(f"  ratio {ratio:.2f} (target <= 3) {'OK' if ratio <= 3 else 'MISSED'}")
    print(f"  with quality indices and stability (once, when shown) {full:7.3f} s")


if __name__ == "__main__":
    if "--fixed-only" in sys.argv:
        sys.argv.remove("--fixed-only")
        fixed_k(make_transactions(50_000))
    else:
        main()
        fixed_k(make_transactions(50_000))
