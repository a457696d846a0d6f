"""Multi-process training throughput under torchrun, side by side in one run:

  keraslite fit in N processes  vs  a hand-written torch DistributedDataParallel loop in N
  processes  vs  keraslite fit in one process (the scaling reference).

Both multi-process contenders train the fit_speed.py workloads with the same global batch (32,
cut into N parts) on the same synthetic data, which every process holds whole. The torch loop
is a tuned one: data moved once, one shared permutation per epoch, DDP (gradient buckets
all-reduced while backward runs), fused Adam, zero_grad(set_to_none=True), no per-step host
sync. Each process uses (cores / N) threads. One warm-up epoch, then epochs are timed for at
least 1.5 s; throughput is the global samples/second. Contenders run in rounds; the best of
each is printed with its ratio to the DDP loop, then the median of the per-round ratios.

Usage:
  python benchmarks/ddp_speed.py                          # 2 processes, CPU (gloo) or CUDA (nccl)
  python benchmarks/ddp_speed.py --nproc 4 --workloads mlp --repeats 3
"""
import argparse
import json
import os
import subprocess
import sys
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.fit_speed import BATCH, FIT_MIN_SECONDS, WORKLOADS, _median, make_data, torch_loss, torch_model  # noqa: E402


def _timed(epoch_fn, n, sync):
    epoch_fn()
    sync()
    done, t = 0, time.perf_counter()
    while True:
        epoch_fn()
        done += 1
        sync()
        elapsed = time.perf_counter() - t
        if elapsed >= FIT_MIN_SECONDS:
            return n * done / elapsed


def _agree(value):
    """The slowest process's figure (every process times the same global epochs)."""
    import torch.distributed as dist

    if not dist.is_initialized():
        return value
    t = torch.tensor([value], dtype=torch.float64)
    dist.all_reduce(t, op=dist.ReduceOp.MIN)
    return float(t)


def worker_keraslite(name, n):
    import keraslite as kl
    from benchmarks.fit_speed import keraslite_model

    device = kl.backend.get_device()
    x, y = make_data(name, n)
    model = keraslite_model(name, kl)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    rate = _timed(lambda: model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0), n, sync)
    return _agree(rate)


def worker_ddp(name, n):
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    rank, size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    cuda = torch.cuda.is_available()
    device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0))) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if cuda else "gloo")
    torch.manual_seed(0)
    model = DistributedDataParallel(torch_model(name).to(device), device_ids=[device.index] if cuda else None)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
    loss_fn = torch_loss(name)
    x, y = make_data(name, n)
    xd, yd = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    gen = torch.Generator().manual_seed(0)  # the same permutation in every process
    lo, hi = BATCH * rank // size, BATCH * (rank + 1) // size

    def epoch():
        perm = torch.randperm(n, generator=gen).to(device)
        xs, ys = xd[perm], yd[perm]
        total = torch.zeros((), device=device)
        for i in range(0, n, BATCH):
            xb, yb = xs[i:i + BATCH][lo:hi], ys[i:i + BATCH][lo:hi]
            loss = loss_fn(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach()
        return total

    rate = _timed(epoch, n, torch.cuda.synchronize if cuda else (lambda: None))
    return _agree(rate)


def _worker(args):
    threads = max(1, (os.cpu_count() or 1) // max(1, int(os.environ.get("WORLD_SIZE", "1"))))
    torch.set_num_threads(threads)
    n = args.samples or WORKLOADS[args.workload][0 if not torch.cuda.is_available() else 1]
    rate = (worker_keraslite if args.worker == "keraslite" else worker_ddp)(args.workload, n)
    if int(os.environ.get("RANK", "0")) == 0:
        print(json.dumps({"rate": rate, "samples": n, "threads": threads}))
    import torch.distributed as dist

    if dist.is_initialized():
        dist.barrier()
    # Leave without tearing down gloo: its threads sometimes abort a process that exits while
    # the other still closes its connections, which would fail a finished measurement.
    sys.stdout.flush()
    os._exit(0)


def _launch(worker, workload, nproc, samples):
    cmd = [sys.executable, __file__, "--worker", worker, "--workload", workload]
    if samples:
        cmd += ["--samples", str(samples)]
    if nproc > 1:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}"] + cmd[1:]
    env = dict(os.environ, PYTHONPATH=ROOT)
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"{worker} x{nproc} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", default="mlp,cnn,lstm")
    parser.add_argument("--nproc", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--samples", type=int, default=None)
    parser.add_argument("--json", default=None)
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--workload", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return _worker(args)
    print(f"torch={torch.__version__} processes={args.nproc} cuda={torch.cuda.is_available()} "
          f"cores={os.cpu_count()} global batch={BATCH}")
    results = {}
    for name in args.workloads.split(","):
        contenders = {"ddp": ("ddp", args.nproc), "keraslite": ("keraslite", args.nproc),
                      "keraslite_1proc": ("keraslite", 1)}
        rounds = {key: [] for key in contenders}
        for _ in range(args.repeats):
            for key, (worker, nproc) in contenders.items():
                rounds[key].append(_launch(worker, name, nproc, args.samples)["rate"])
        best = {key: max(values) for key, values in rounds.items()}
        median = _median([k / d for k, d in zip(rounds["keraslite"], rounds["ddp"])])
        results[name] = {"best": best, "rounds": rounds, "keraslite_vs_ddp_median": median}
        print(f"\n[{name}] global samples/s (ratio vs the torch DDP loop)")
        print(f"  torch DDP x{args.nproc} {best['ddp']:,.0f} (1.00x)  keraslite fit x{args.nproc} "
              f"{best['keraslite']:,.0f} ({best['keraslite'] / best['ddp']:.2f}x)  keraslite fit x1 "
              f"{best['keraslite_1proc']:,.0f} ({best['keraslite_1proc'] / best['ddp']:.2f}x)")
        print(f"  median over rounds of keraslite / DDP in the same round: {median:.2f}x")
        sys.stdout.flush()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
