# PyTorch beside manytask's worker pool (bench/threads.mjs runs this with
# /usr/bin/python3 where `import torch` works): the same GEMMs and the same
# k-means iteration (distances by matmul, argmin, centre sums), float32, at a
# given thread count (torch.set_num_threads), median seconds per call.
# Usage: python3 bench/torch_threads.py '<json spec>'; prints one JSON line.
import json
import sys
import time

import torch


def median(xs):
    s = sorted(xs)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


def timed(fn, reps, target=0.06):
    fn()
    fn()
    iters = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(iters):
            fn()
        t = time.perf_counter() - t0
        if t >= target / 4 or iters >= 1 << 20:
            break
        iters *= 4
    iters = max(1, round(iters * target / max(t, 1e-6)))
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(iters):
            fn()
        samples.append((time.perf_counter() - t0) / iters)
    return median(samples)


def gemm_case(c):
    m, k, n, ta, tb = c["M"], c["K"], c["N"], c["transposeA"], c["transposeB"]
    a = torch.rand(k, m) if ta else torch.rand(m, k)
    b = torch.rand(n, k) if tb else torch.rand(k, n)
    return lambda: torch.mm(a.t() if ta else a, b.t() if tb else b)


def kmeans_iteration(n, d, k):
    x = torch.rand(n, d) * 2 - 1
    c = x[torch.arange(k) * (n // k)].clone()
    x_norms = (x * x).sum(1, keepdim=True)

    def one():
        dist = x_norms - 2 * (x @ c.t()) + (c * c).sum(1)
        labels = dist.argmin(1)
        sums = torch.zeros(k, d, dtype=torch.float64).index_add_(0, labels, x.double())
        counts = torch.bincount(labels, minlength=k).clamp(min=1).unsqueeze(1)
        c.copy_((sums / counts).float())

    return one


def main():
    spec = json.loads(sys.argv[1])
    out = {"torch": torch.__version__, "threads": {}}
    for threads in spec["threads"]:
        torch.set_num_threads(threads)
        row = {}
        with torch.no_grad():
            for c in spec["gemm"]:
                row[c["label"]] = timed(gemm_case(c), spec["reps"])
            km = spec["kmeans"]
            row[km["label"]] = timed(kmeans_iteration(km["n"], km["d"], km["k"]), spec["reps"])
        out["threads"][str(threads)] = row
    print(json.dumps(out))


main()
