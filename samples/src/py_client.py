"""grpcio (Python) client of the sample captures. Runs one scenario, calls one after another, and exits
non-zero if a call ends differently from what the scenario expects.

    /usr/bin/python3 samples/src/py_client.py --target [::1]:50052 --scenario basic

Scenarios (listed in samples/README.md): basic (against py_server.py), cross (against node-server.js).
"""

import argparse
import sys
import threading
import time

import grpc

import pystubs

demo_pb2, demo_pb2_grpc, helloworld_pb2, helloworld_pb2_grpc = pystubs.load()

from google.protobuf import any_pb2, timestamp_pb2  # noqa: E402

WHEN = timestamp_pb2.Timestamp(seconds=1704164645, nanos=123456789)
CODE = {c.value[0]: c for c in grpc.StatusCode}
failures = []


def expect(name, code, want):
    print("%s: status %d" % (name, code.value[0]), flush=True)
    if code != want:
        failures.append("%s: expected %s, got %s" % (name, want, code))


def compressible(n):
    return "the quick brown fox jumps over the lazy dog; " * n


def full_request(action, text):
    req = demo_pb2.DemoRequest(
        action=action,
        text=text,
        big=-9007199254740993,
        ubig=18446744073709551615,
        blob=b"\x00\x01\x02\xfe\xff",
        color=demo_pb2.COLOR_BLUE,
        point=demo_pb2.Point(x=3, y=-4, label="origin+offset"),
        numbers=[1, 2, 3, -1],
        tags=["alpha", "beta"],
        counts={"apples": 3, "pears": -5},
        when=WHEN,
        choice_id=42,
        ratio=0.25,
        flag=True,
    )
    req.wait.FromMilliseconds(1500)
    req.extra.update({"name": "demo", "n": 1.5, "ok": True, "nothing": None, "list": [1, "two"],
                      "nested": {"k": "v"}})
    req.note.value = "a wrapped string"
    anything = any_pb2.Any()
    anything.Pack(demo_pb2.Point(x=7, y=8, label="in an Any"))
    req.attachment.CopyFrom(anything)
    return req


REQUEST_METADATA = (("x-request-id", "req-0001"), ("x-multi", "first"), ("x-multi", "second"),
                    ("x-client-bin", b"\x00\x01\x02\x7f\x80\xff"))


def unary(method, req, **kw):
    try:
        method(req, **kw)
        return grpc.StatusCode.OK
    except grpc.RpcError as e:
        return e.code()


def drain(it):
    try:
        for _ in it:
            pass
        return grpc.StatusCode.OK
    except grpc.RpcError as e:
        return e.code()


def cancel_after(call, n):
    got = 0
    try:
        for _ in call:
            got += 1
            if got == n:
                call.cancel()
        return grpc.StatusCode.OK
    except grpc.RpcError as e:
        return e.code()


def lockstep(stub_method, texts, **kw):
    """Bidi, one request at a time: each request is sent after the previous reply arrived."""
    turn = threading.Semaphore(1)

    def requests():
        for t in texts:
            turn.acquire()
            yield demo_pb2.DemoRequest(text=t)

    call = stub_method(requests(), **kw)
    try:
        for _ in call:
            turn.release()
        return grpc.StatusCode.OK
    except grpc.RpcError as e:
        return e.code()


def channel(target, **kw):
    # A local subchannel pool: every channel is its own TCP connection.
    return grpc.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)], **kw)


def basic(target):
    ch = channel(target)
    demo = demo_pb2_grpc.DemoStub(ch)
    greeter = helloworld_pb2_grpc.GreeterStub(ch)
    expect("SayHello", unary(greeter.SayHello, helloworld_pb2.HelloRequest(name="python")), grpc.StatusCode.OK)
    expect("Unary ok", unary(demo.Unary, full_request("ok", "first call"), metadata=REQUEST_METADATA),
           grpc.StatusCode.OK)
    expect("ServerStream 4", drain(demo.ServerStream(demo_pb2.DemoRequest(text="stream", count=4))),
           grpc.StatusCode.OK)
    reqs = [demo_pb2.DemoRequest(text="part %d" % n, numbers=[n, n * 10]) for n in (1, 2, 3)]
    expect("ClientStream 3", unary(demo.ClientStream, iter(reqs)), grpc.StatusCode.OK)
    expect("Bidi 3", lockstep(demo.Bidi, ["one", "two", "three"]), grpc.StatusCode.OK)
    expect("Unary error", unary(demo.Unary, demo_pb2.DemoRequest(action="error")), grpc.StatusCode.INVALID_ARGUMENT)
    expect("Unary fail-fast", unary(demo.Unary, demo_pb2.DemoRequest(action="fail-fast")), grpc.StatusCode.NOT_FOUND)
    expect("Unary slow", unary(demo.Unary, demo_pb2.DemoRequest(action="slow", count=1000), timeout=0.2),
           grpc.StatusCode.DEADLINE_EXCEEDED)
    time.sleep(1.0)  # let the slow handler finish, so the order of the capture is stable
    expect("ServerStream cancel",
           cancel_after(demo.ServerStream(demo_pb2.DemoRequest(action="slow-stream", count=50)), 3),
           grpc.StatusCode.CANCELLED)
    ch.close()

    # Second connection: gzip both ways (requests by channel option, responses asked of the server).
    gz = channel(target, compression=grpc.Compression.Gzip)
    demo = demo_pb2_grpc.DemoStub(gz)
    md = (("x-compress-response", "gzip"),)
    expect("gzip Unary", unary(demo.Unary, demo_pb2.DemoRequest(action="ok", text=compressible(20)), metadata=md),
           grpc.StatusCode.OK)
    expect("gzip ServerStream", drain(demo.ServerStream(demo_pb2.DemoRequest(text=compressible(5), count=3),
                                                        metadata=md)), grpc.StatusCode.OK)
    expect("gzip Bidi", lockstep(demo.Bidi, [t + compressible(10) for t in ("a", "b")], metadata=md),
           grpc.StatusCode.OK)
    gz.close()


def cross(target):
    ch = channel(target)
    demo = demo_pb2_grpc.DemoStub(ch)
    expect("Unary ok", unary(demo.Unary, full_request("ok", "from python"), metadata=REQUEST_METADATA),
           grpc.StatusCode.OK)
    expect("Bidi 2", lockstep(demo.Bidi, ["one", "two"]), grpc.StatusCode.OK)
    expect("Unary error", unary(demo.Unary, demo_pb2.DemoRequest(action="error")), grpc.StatusCode.INVALID_ARGUMENT)
    expect("gzip Unary", unary(demo.Unary, demo_pb2.DemoRequest(action="ok", text=compressible(20)),
                               compression=grpc.Compression.Gzip), grpc.StatusCode.OK)
    ch.close()


def longlived(target):
    """One long-lived connection: a round of calls, a 1.5 s pause where the capture is cut, a second round."""
    ch = channel(target)
    demo = demo_pb2_grpc.DemoStub(ch)
    greeter = helloworld_pb2_grpc.GreeterStub(ch)
    for n in (1, 2):
        expect("Unary ok %d" % n, unary(demo.Unary, full_request("ok", "round %d" % n), metadata=REQUEST_METADATA),
               grpc.StatusCode.OK)
        expect("ServerStream 3 %d" % n, drain(demo.ServerStream(demo_pb2.DemoRequest(text="stream %d" % n, count=3))),
               grpc.StatusCode.OK)
        expect("SayHello %d" % n, unary(greeter.SayHello, helloworld_pb2.HelloRequest(name="round %d" % n)),
               grpc.StatusCode.OK)
        expect("Unary error %d" % n, unary(demo.Unary, demo_pb2.DemoRequest(action="error")),
               grpc.StatusCode.INVALID_ARGUMENT)
        expect("Bidi 2 %d" % n, lockstep(demo.Bidi, ["one", "two"]), grpc.StatusCode.OK)
        if n == 1:
            time.sleep(1.5)
    reqs = [demo_pb2.DemoRequest(text="part %d" % n, numbers=[n]) for n in (1, 2, 3)]
    expect("ClientStream 3", unary(demo.ClientStream, iter(reqs)), grpc.StatusCode.OK)
    expect("Unary fail-fast", unary(demo.Unary, demo_pb2.DemoRequest(action="fail-fast")), grpc.StatusCode.NOT_FOUND)
    ch.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--target", default="[::1]:50052")
    p.add_argument("--scenario", default="basic", choices=["basic", "cross", "longlived"])
    a = p.parse_args()
    {"basic": basic, "cross": cross, "longlived": longlived}[a.scenario](a.target)
    if failures:
        sys.exit("py_client: " + "; ".join(failures))


if __name__ == "__main__":
    main()
