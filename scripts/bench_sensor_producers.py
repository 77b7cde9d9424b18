#!/usr/bin/env python3
"""Open N Unix-socket connections to a grustream unix source and send CSV sensor frames at RATE Hz on each for
SECONDS, like N live 3-axis sensors (used by scripts/bench-pipeline). Prints frames sent and lateness."""
import asyncio, math, socket, sys, time

async def producer(path, index, rate, seconds, channels, stats):
    reader, writer = await asyncio.open_unix_connection(path, limit=1 << 16)
    writer.write(f"stream sensor-{index}\n".encode())
    start = time.monotonic()
    sent = 0
    total = int(rate * seconds)
    block = max(1, rate // 10)  # 10 writes per second per sensor
    while sent < total:
        lines = []
        for k in range(min(block, total - sent)):
            t = (sent + k) / rate
            lines.append(",".join(f"{math.sin(2 * math.pi * (1.3 + c) * t + index):.4f}" for c in range(channels)))
        writer.write(("\n".join(lines) + "\n").encode())
        sent += len(lines)
        await writer.drain()
        delay = start + sent / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            stats["late"] = max(stats["late"], -delay)
    writer.close()
    stats["frames"] += sent

async def main():
    path, count, rate, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    stats = {"frames": 0, "late": 0.0}
    await asyncio.gather(*(producer(path, i, rate, seconds, 3, stats) for i in range(count)))
    print(f"{count} producers sent {stats['frames']} frames; worst lateness {stats['late'] * 1000:.1f} ms")

asyncio.run(main())
