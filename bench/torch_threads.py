# PyTorch beside manytask's worker pool (bench/threads.mjs runs this with
# /usr/bin/python3 where `import torch` works): the same GEMMs and the same
# k-means iteration (distances by matmul, argmin, centre sums), float32, at a
# given thread count (torch.set_num_threads), median seconds per call; and the
# training step of the benchmark network (64 inputs, 256→128 ReLU trunk, binary,
# 5-class and regression heads, summed losses, Adam) at the given batch sizes.
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


def training_step(rows):
    torch.manual_seed(1)
    trunk = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU())
    heads = torch.nn.ModuleList([torch.nn.Linear(128, 1), torch.nn.Linear(128, 5), torch.nn.Linear(128, 1)])
    params = list(trunk.parameters()) + list(heads.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    x = torch.rand(rows, 64) * 2 - 1
    y_bin = (x[:, 0:1] > 0).float()
    y_cls = ((x[:, 1] + 1) * 2.5).long() % 5
    y_reg = x[:, 2:3] * 3

    def one():
        opt.zero_grad(set_to_none=True)
        h = trunk(x)
        loss = (torch.nn.functional.binary_cross_entropy_with_logits(heads[0](h), y_bin)
                + torch.nn.functional.cross_entropy(heads[1](h), y_cls)
                + torch.nn.functional.mse_loss(heads[2](h), y_reg))
        loss.backward()
        opt.step()

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
        for c in spec.get("train", []):
            row[c["label"]] = timed(training_step(c["rows"]), spec["reps"])
        out["threads"][str(threads)] = row
    print(json.dumps(out))


main()
