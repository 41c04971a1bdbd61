#!/usr/bin/python3
"""PyTorch reference for Strata's training benchmark (an outside yardstick, never a dependency).

Trains the same network as models/fashion-cnn/spec.yaml (conv-BN-ReLU-maxpool x3, flatten,
dropout, linear; AdamW, label smoothing, cosine schedule with warm-up) on the same data with the
same batch size and thread counts, without augmentation (as the Java benchmark), and prints one
JSON line per epoch plus ONNX-free inference throughput of the trained network.

    /usr/bin/python3 strata-bench/python/train_reference.py --threads 2 --epochs 2
    /usr/bin/python3 strata-bench/python/train_reference.py --smoke   # a few seconds: does it work?

Needs python3-torch (apt-get install -y python3-torch) and the Fashion-MNIST IDX files
(apt-get install -y dataset-fashion-mnist, or --data data/fashion-mnist-subset).
"""
import argparse
import gzip
import json
import math
import os
import struct
import time

import numpy as np
import torch
from torch import nn


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def model():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3, padding=1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.2), nn.Linear(128 * 3 * 3, 10))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--train-images", type=int, default=55000)
    p.add_argument("--smoke", action="store_true",
                   help="one epoch of 256 images of the shipped subset, one thread")
    a = p.parse_args()
    if a.smoke:
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        a.data = os.path.join(root, "data", "fashion-mnist-subset")
        a.threads, a.epochs, a.train_images, a.batch_size = 1, 1, 256, 64
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(42)

    x = read_idx(f"{a.data}/train-images-idx3-ubyte.gz")[: a.train_images].astype(np.float32) / 255
    y = read_idx(f"{a.data}/train-labels-idx1-ubyte.gz")[: a.train_images].astype(np.int64)
    mean, std = x.mean(), x.std()
    x = torch.from_numpy((x - mean) / std).unsqueeze(1)
    y = torch.from_numpy(y)
    n = len(y)
    steps = math.ceil(n / a.batch_size)

    net = model()
    params = sum(p.numel() for p in net.parameters())
    opt = torch.optim.AdamW(net.parameters(), lr=0.003, weight_decay=0.0005)
    total = a.epochs * steps
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / steps if s < steps
        else 1e-5 / 0.003 + (1 - 1e-5 / 0.003) * (1 + math.cos(math.pi * (s - steps) / max(1, total - steps))) / 2)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    for epoch in range(1, a.epochs + 1):
        net.train()
        g = torch.Generator().manual_seed(epoch)
        order = torch.randperm(n, generator=g)
        start = time.perf_counter()
        loss_sum, correct = 0.0, 0
        for s in range(steps):
            if s == 1:
                cpu0, wall0 = time.process_time(), time.perf_counter()
            idx = order[s * a.batch_size:(s + 1) * a.batch_size]
            xb, yb = x[idx], y[idx]
            out = net(xb)
            loss = loss_fn(out, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(idx)
            correct += (out.argmax(1) == yb).sum().item()
        secs = time.perf_counter() - start
        # steps 2..N: the same window the Java benchmark measures
        print(json.dumps({"framework": "pytorch", "epoch": epoch, "steps_measured": steps - 1,
                          "wall_seconds": round(time.perf_counter() - wall0, 2),
                          "cpu_seconds": round(time.process_time() - cpu0, 2)}), flush=True)
        print(json.dumps({"framework": f"pytorch {torch.__version__}", "threads": a.threads,
                          "epoch": epoch, "seconds": round(secs, 2),
                          "images_per_second": round(n / secs, 1),
                          "train_loss": round(loss_sum / n, 4), "train_accuracy": round(correct / n, 4),
                          "parameters": params}), flush=True)
    net.eval()
    with torch.no_grad():
        xb = x[:10000]
        start = time.perf_counter()
        for i in range(0, len(xb), a.batch_size):
            net(xb[i:i + a.batch_size])
        secs = time.perf_counter() - start
    print(json.dumps({"framework": f"pytorch {torch.__version__}", "inference_batch": a.batch_size,
                      "images_per_second": round(len(xb) / secs, 1)}), flush=True)


if __name__ == "__main__":
    main()
