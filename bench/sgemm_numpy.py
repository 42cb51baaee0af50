"""Peer timing server for the rrra sgemm harness (go run ./bench/cmd/peers).

Run by the harness with Debian's /usr/bin/python3 (python3-numpy), once per
thread count, with OPENBLAS_NUM_THREADS and OMP_NUM_THREADS set and
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed from the environment. It times
float32 np.matmul, which numpy hands to cblas_sgemm of whatever library the
libblas.so.3 alternative points at (OpenBLAS when libopenblas0 is installed,
the reference netlib BLAS otherwise); the hello line says which one it is.

Protocol: one JSON object per line on stdin, one JSON line back on stdout.

  start-up reply: {"hello": 1, "numpy": ..., "blas": ..., "blas_path": ...}
  request:        {"kind": "gemm", "trans": "NN"|"NT"|"TN", "m": M, "n": N,
                   "k": K, "batch": B, "min_seconds": S}
  reply:          {"ok": true, "seconds": per-op, "reps": R, "first": F}
               or {"ok": false, "error": "..."}

Timing rule (the same as the Go side): the first call is timed; if it took at
least min_seconds it is the sample, otherwise it is discarded as a warm-up and
the op is repeated until at least min_seconds have elapsed.
"""

import ctypes
import json
import os
import sys
import time

import numpy as np

_arrays = {}


def _blas_libraries():
    """Real paths of the BLAS-like shared objects mapped into this process."""
    found = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) < 6:
                    continue
                path = parts[5]
                base = os.path.basename(path).lower()
                if any(s in base for s in ("blas", "blis", "mkl", "atlas")):
                    real = os.path.realpath(path)
                    if real not in found:
                        found.append(real)
    except OSError:
        pass
    return found


def _describe_blas():
    """Which BLAS numpy's matmul ends up in, with OpenBLAS details if known."""
    info = {"blas": "unknown", "blas_path": "", "blas_libs": _blas_libraries()}
    for path in info["blas_libs"]:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        if hasattr(lib, "openblas_get_config"):
            info["blas"] = "OpenBLAS"
            info["blas_path"] = path
            lib.openblas_get_config.restype = ctypes.c_char_p
            info["openblas_config"] = lib.openblas_get_config().decode(errors="replace").strip()
            if hasattr(lib, "openblas_get_corename"):
                lib.openblas_get_corename.restype = ctypes.c_char_p
                info["openblas_core"] = lib.openblas_get_corename().decode(errors="replace")
            if hasattr(lib, "openblas_get_num_threads"):
                lib.openblas_get_num_threads.restype = ctypes.c_int
                info["openblas_threads"] = lib.openblas_get_num_threads()
            return info
        if hasattr(lib, "bli_info_get_version_str"):
            info["blas"] = "BLIS"
            info["blas_path"] = path
            return info
    for path in info["blas_libs"]:
        base = os.path.basename(path)
        if base.startswith("libblas.so") and "/blas/" in path:
            info["blas"] = "reference BLAS"
            info["blas_path"] = path
            return info
    if info["blas_libs"]:
        info["blas_path"] = info["blas_libs"][0]
    return info


def _arrays_for(trans, batch, m, n, k):
    """A, B (as matmul operands, possibly transposed views) and C, cached."""
    key = (trans, batch, m, n, k)
    if key in _arrays:
        return _arrays[key]
    rng = np.random.default_rng(1)

    def rand(*shape):
        return rng.random(shape, dtype=np.float32) * 2 - 1

    lead = (batch,) if batch > 1 else ()
    if trans[0] == "T":
        a = np.swapaxes(rand(*lead, k, m), -1, -2)  # stored k×m, used as m×k
    else:
        a = rand(*lead, m, k)
    if trans[1] == "T":
        b = np.swapaxes(rand(*lead, n, k), -1, -2)  # stored n×k, used as k×n
    else:
        b = rand(*lead, k, n)
    c = np.zeros(lead + (m, n), dtype=np.float32)
    _arrays[key] = (a, b, c)
    return a, b, c


def _time(req):
    trans = req.get("trans", "NN")
    if trans not in ("NN", "NT", "TN", "TT"):
        raise ValueError("bad trans %r" % trans)
    m, n, k = int(req["m"]), int(req["n"]), int(req["k"])
    batch = int(req.get("batch", 1) or 1)
    min_seconds = float(req.get("min_seconds", 0.2))
    a, b, c = _arrays_for(trans, batch, m, n, k)
    matmul = np.matmul
    clock = time.perf_counter

    t0 = clock()
    matmul(a, b, out=c)
    first = clock() - t0
    if first >= min_seconds:
        return {"ok": True, "seconds": first, "reps": 1, "first": first}
    reps = 0
    t0 = clock()
    while True:
        matmul(a, b, out=c)
        reps += 1
        elapsed = clock() - t0
        if elapsed >= min_seconds:
            break
    return {"ok": True, "seconds": elapsed / reps, "reps": reps, "first": first}


def main():
    # Force the BLAS to load before describing it.
    x = np.ones((8, 8), dtype=np.float32)
    np.matmul(x, x)
    hello = {
        "hello": 1,
        "numpy": np.__version__,
        "numpy_path": os.path.dirname(np.__file__),
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "env_threads": {
            v: os.environ.get(v, "")
            for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "BLIS_NUM_THREADS")
        },
    }
    hello.update(_describe_blas())
    print(json.dumps(hello), flush=True)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            if req.get("kind") == "quit":
                break
            if req.get("kind") != "gemm":
                raise ValueError("unknown kind %r" % req.get("kind"))
            reply = _time(req)
        except Exception as e:  # report, keep serving
            reply = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
