"""End-to-end test of `grustream wyoming` with the real `wyoming` package as the client (as Home Assistant uses it).

Usage: python wyoming_client_test.py HOST PORT WAV [--bench CLIENTS SERVER_PID]
Checks: describe → info listing the hey-mycroft wake word; detect + audio-start/chunk/stop over the bundled
recording → `detection` events named hey-mycroft, as many as `grustream run` finds, at the same times, for several
clients at once (each its own stream); silence → `not-detected`; 48 kHz stereo (converted by the package) → the same
detections; 24-bit audio → an `error` event; an unknown
wake word name → `error`; garbage bytes → `error` and the connection closed. With --bench: detection latency (end
of the chunk holding the wake word's end → `detection` received) and server CPU per client streaming in real time.
"""

import asyncio
import json
import os
import sys
import time
import wave

from wyoming.audio import AudioChunk, AudioChunkConverter, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.info import Describe, Info
from wyoming.ping import Ping
from wyoming.wake import Detect, Detection, NotDetected

CHUNK_SAMPLES = 1024  # what Home Assistant's satellites send: 64 ms at 16 kHz


def fail(message):
    print(f"wyoming client test: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def read_wav(path):
    with wave.open(path, "rb") as w:
        assert w.getframerate() == 16000 and w.getsampwidth() == 2 and w.getnchannels() == 1
        return w.readframes(w.getnframes())


async def read_until(client, types, timeout=10.0):
    """Events until one of `types` arrives (returned last)."""
    seen = []
    while True:
        event = await asyncio.wait_for(client.read_event(), timeout)
        if event is None:
            fail(f"connection closed while waiting for {types}; got {[e.type for e in seen]}")
        seen.append(event)
        if event.type in types:
            return seen


async def detect(host, port, audio, names=None, rate=16000, channels=1, realtime=False, latencies=None):
    """One client: detect, stream `audio`, stop; the detections and whether not-detected came."""
    async with AsyncTcpClient(host, port) as client:
        await client.write_event(Detect(names=names).event())
        await client.write_event(AudioStart(rate=rate, width=2, channels=channels).event())
        detections, errors = [], []
        step = CHUNK_SAMPLES * 2 * channels * rate // 16000
        start = time.monotonic()
        for offset in range(0, len(audio), step):
            chunk = audio[offset : offset + step]
            ms = offset // (2 * channels) * 1000 // rate
            sent = time.monotonic()
            await client.write_event(AudioChunk(rate=rate, width=2, channels=channels, audio=chunk, timestamp=ms).event())
            # Collect whatever the server has answered so far (a detection comes right after its chunk).
            while True:
                try:
                    event = await asyncio.wait_for(client.read_event(), 0.05 if latencies is not None else 0.0005)
                except asyncio.TimeoutError:
                    break
                if event is None:
                    fail("connection closed during the audio")
                if Detection.is_type(event.type):
                    detections.append(Detection.from_event(event))
                    if latencies is not None:
                        latencies.append(time.monotonic() - sent)
                elif Error.is_type(event.type):
                    errors.append(Error.from_event(event))
            if realtime:
                due = start + (offset + step) / (2 * channels) / rate
                await asyncio.sleep(max(0.0, due - time.monotonic()))
        await client.write_event(AudioStop().event())
        # Events are answered in order: the pong comes after everything the audio and audio-stop caused.
        await client.write_event(Ping(text="end").event())
        tail = await read_until(client, {"pong"})
        for event in tail:
            if Detection.is_type(event.type):
                detections.append(Detection.from_event(event))
            if Error.is_type(event.type):
                errors.append(Error.from_event(event))
        not_detected = any(NotDetected.is_type(e.type) for e in tail)
        return detections, not_detected, errors


async def main():
    host, port, wav = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    expected = json.loads(os.environ.get("EXPECTED_DETECTIONS", "[]"))  # end times (s) from `grustream run`
    audio = read_wav(wav)

    async with AsyncTcpClient(host, port) as client:
        await client.write_event(Describe().event())
        info = Info.from_event((await read_until(client, {"info"}))[-1])
    words = [model.name for program in info.wake for model in program.models]
    if "hey-mycroft" not in words:
        fail(f"info lists {words}, not hey-mycroft")
    print(f"wyoming client test: info: wake words {words}", file=sys.stderr)

    # Several clients at once, each its own stream: the same detections as grustream run, for each.
    results = await asyncio.gather(*(detect(host, port, audio, names=["hey-mycroft"]) for _ in range(4)))
    for detections, not_detected, errors in results:
        if errors:
            fail(f"errors: {[e.text for e in errors]}")
        if not_detected or len(detections) != len(expected) or any(d.name != "hey-mycroft" for d in detections):
            fail(f"detections {detections} (expected {len(expected)} named hey-mycroft at {expected})")
        # The timestamp is that of the chunk in which the detection was made: the chunk holding the detection end.
        for detection, end in zip(detections, expected):
            chunk_ms = int(end * 16000) // CHUNK_SAMPLES * CHUNK_SAMPLES * 1000 // 16000
            if abs(detection.timestamp - chunk_ms) > 1000 * CHUNK_SAMPLES // 16000 + 1:
                fail(f"detection at chunk {detection.timestamp} ms, grustream run says {end} s")
    print(f"wyoming client test: 4 clients at once, each {len(expected)} detections", file=sys.stderr)

    detections, not_detected, errors = await detect(host, port, bytes(2 * 16000 * 2))
    if detections or not not_detected or errors:
        fail(f"silence: detections {detections}, not-detected {not_detected}, errors {errors}")

    # 48 kHz stereo, converted on the client by the wyoming package itself, is converted back by the server.
    converter = AudioChunkConverter(rate=48000, width=2, channels=2)
    high = converter.convert(AudioChunk(rate=16000, width=2, channels=1, audio=audio)).audio
    detections, _, errors = await detect(host, port, high, names=["hey-mycroft"], rate=48000, channels=2)
    if errors or len(detections) != len(expected):
        fail(f"48 kHz stereo: detections {detections}, errors {errors} (expected {len(expected)})")

    async with AsyncTcpClient(host, port) as client:
        await client.write_event(AudioStart(rate=16000, width=3, channels=1).event())
        event = (await read_until(client, {"error"}))[-1]
        if "24-bit" not in Error.from_event(event).text:
            fail(f"24-bit audio: expected an error naming it, got {event}")

    async with AsyncTcpClient(host, port) as client:
        await client.write_event(Detect(names=["okay-nabu"]).event())
        event = (await read_until(client, {"error"}))[-1]
        if "okay-nabu" not in Error.from_event(event).text:
            fail(f"unknown wake word: {event}")

    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b'{"type": 5}\n')
    await writer.drain()
    line = await asyncio.wait_for(reader.readline(), 5)
    if b'"error"' not in line or await asyncio.wait_for(reader.read(), 5) != b"":
        fail(f"garbage: expected an error and the connection closed, got {line!r}")
    writer.close()
    print("wyoming client test: silence, 48 kHz stereo, 24-bit audio, unknown word, garbage: answered as expected", file=sys.stderr)

    if "--bench" in sys.argv:
        clients = int(sys.argv[sys.argv.index("--bench") + 1])
        pid = int(sys.argv[sys.argv.index("--bench") + 2])
        latencies = []
        for _ in range(5):
            await detect(host, port, audio, names=["hey-mycroft"], latencies=latencies)
        latencies.sort()
        print(f"latency: {len(latencies)} detections, median {latencies[len(latencies) // 2] * 1000:.2f} ms, "
              f"max {latencies[-1] * 1000:.2f} ms")

        def cpu():
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        seconds = len(audio) / 2 / 16000
        repeats = 4

        async def stream_repeatedly():
            for _ in range(repeats):
                await detect(host, port, audio)

        for n in (1, clients):
            before, wall = cpu(), time.monotonic()
            await asyncio.gather(*(stream_repeatedly() for _ in range(n)))
            used, wall = cpu() - before, time.monotonic() - wall
            audio_seconds = n * repeats * seconds
            print(f"cpu: {n} client(s) as fast as they send, {audio_seconds:.0f} s of audio in {wall:.2f} s: "
                  f"{used:.2f} s of server CPU = {100 * used / audio_seconds:.3f} % of a core per real-time client")
        before, wall = cpu(), time.monotonic()
        await asyncio.gather(*(detect(host, port, audio, realtime=True) for _ in range(clients)))
        used, wall = cpu() - before, time.monotonic() - wall
        print(f"cpu: {clients} real-time clients at once, {used:.2f} s of server CPU over {wall:.1f} s: "
              f"{100 * used / wall / clients:.3f} % of a core per client")

asyncio.run(main())
print("wyoming client test: passed", file=sys.stderr)
