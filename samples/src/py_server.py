"""grpcio (Python) server of the sample captures: serves grpctk.demo.Demo and helloworld.Greeter.

    /usr/bin/python3 samples/src/py_server.py --host ::1 --port 50052

Prints "listening <address>" once bound and stops on SIGTERM or SIGINT. The actions mirror
node-server.js (see samples/README.md): Unary ok (default), error, fail-fast, big, slow; ServerStream
`count` replies; ClientStream sums `numbers`; Bidi echoes. A call whose metadata carries
`x-compress-response: gzip` gets gzip-compressed responses (context.set_compression).
"""

import argparse
import signal
import sys
import threading
import time
from concurrent import futures

import grpc

import pystubs

demo_pb2, demo_pb2_grpc, helloworld_pb2, helloworld_pb2_grpc = pystubs.load()

from google.protobuf import timestamp_pb2  # noqa: E402

WHEN = timestamp_pb2.Timestamp(seconds=1704164645, nanos=123456789)


def server_metadata():
    return (("x-server", "grpctk-sample-python"), ("x-server-bin", b"\xca\xfe\xba\xbe"))


def trailers():
    return (("x-trailer", "done"), ("x-trailer-bin", "trailer bytes \u2713".encode("utf-8")))


def maybe_compress(context):
    for key, value in context.invocation_metadata():
        if key == "x-compress-response" and value == "gzip":
            context.set_compression(grpc.Compression.Gzip)


class Demo(demo_pb2_grpc.DemoServicer):
    def Unary(self, request, context):
        maybe_compress(context)
        action = request.action
        if action == "error":
            # Headers first, then the error in trailers; the message is percent-encoded on the wire.
            context.send_initial_metadata(server_metadata())
            context.set_trailing_metadata(trailers())
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "bad value: 100% wrong \u2013 caf\u00e9 \u2717 \u65e5\u672c")
        if action == "fail-fast":
            context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")
        if action == "slow":
            time.sleep((request.count or 1000) / 1000.0)
            return demo_pb2.DemoReply(text="too late", seq=1)
        context.send_initial_metadata(server_metadata())
        context.set_trailing_metadata(trailers())
        if action == "big":
            return demo_pb2.DemoReply(text="big reply", seq=1, blob=b"a" * (request.count or 100000),
                                      total=len(request.blob))
        reply = demo_pb2.DemoReply(
            text="reply to " + request.text,
            seq=1,
            big=9223372036854775807,
            ubig=12345678901234567890,
            blob=b"binary\x00reply",
            color=demo_pb2.COLOR_GREEN,
            labels={"env": "sample", "lang": "python"},
            when=WHEN,
            ok_text="fine",
        )
        reply.points.add(x=1, y=1)
        reply.points.add(x=2, y=4, label="square")
        reply.elapsed.FromMilliseconds(2)
        reply.extra.update({"served_by": "python", "seq": 1})
        reply.note.value = "a wrapped reply"
        return reply

    def ServerStream(self, request, context):
        maybe_compress(context)
        context.send_initial_metadata(server_metadata())
        n = request.count or 3
        for seq in range(1, n + 1):
            if not context.is_active():
                return
            yield demo_pb2.DemoReply(text="item %d of %d" % (seq, n), seq=seq, when=WHEN)
            if request.action == "slow-stream":
                time.sleep(0.1)
        context.set_trailing_metadata(trailers())

    def ClientStream(self, request_iterator, context):
        maybe_compress(context)
        total = 0
        texts = []
        for req in request_iterator:
            total += sum(req.numbers)
            texts.append(req.text)
        context.set_trailing_metadata(trailers())
        return demo_pb2.DemoReply(text="|".join(texts)[:200], seq=len(texts), total=total)

    def Bidi(self, request_iterator, context):
        maybe_compress(context)
        context.send_initial_metadata(server_metadata())
        seq = 0
        for req in request_iterator:
            seq += 1
            yield demo_pb2.DemoReply(text="echo " + req.text, seq=seq, color=req.color)
        context.set_trailing_metadata(trailers())


class Greeter(helloworld_pb2_grpc.GreeterServicer):
    def SayHello(self, request, context):
        return helloworld_pb2.HelloReply(message="Hello " + request.name)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="::1")
    p.add_argument("--port", type=int, default=50052)
    a = p.parse_args()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    demo_pb2_grpc.add_DemoServicer_to_server(Demo(), server)
    helloworld_pb2_grpc.add_GreeterServicer_to_server(Greeter(), server)
    address = "[%s]:%d" % (a.host, a.port) if ":" in a.host else "%s:%d" % (a.host, a.port)
    if server.add_insecure_port(address) == 0:
        sys.exit("py_server: cannot bind " + address)
    server.start()
    print("listening " + address, flush=True)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    server.stop(0)


if __name__ == "__main__":
    main()
