#!/usr/bin/python3
"""Writes numpy's own .npy files for tensor's npy tests.

    /usr/bin/python3 tensor/testdata/gen_npy.py
"""
import numpy as np

np.save("matrix.npy", (np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5) / 3)
np.save("vector.npy", np.array([1.5, -0.0, np.inf], dtype=np.float32))
np.save("rows.npy", np.linspace(-1, 1, 5 * 384, dtype=np.float32).reshape(5, 384))
