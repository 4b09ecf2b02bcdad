#!/usr/bin/env python3
"""Normalises tshark output into grpctk's golden files (called by make-golden.sh; standard library only).

    tshark2golden.py grpc  PORTS < capture.pdml   > <sample>.grpc.json
    tshark2golden.py bytes PORTS < fields.tsv     > <sample>.bytes.tsv

PORTS is a comma-separated list of the sample's server ports. The server side of a TCP connection is the one
that did not send the SYN (the captures all start before their connections); when a connection's SYN is
missing, the side whose port is in PORTS is the server.

grpc: reads `tshark -T pdml` and writes {"messages": [...], "calls": [...]}:
  - one message per <proto name="grpc"> element, in frame order: frame, tcp_stream, stream (the HTTP/2
    stream id of the nearest preceding <proto name="http2">, the DATA frame that completed the message),
    direction ("request" when sent to the server), length (grpc.message_length), compressed
    (grpc.compressed_flag, 0 or 1), message_type (the first protobuf.message.name of the <proto
    name="protobuf"> that follows, i.e. the top-level message, or null);
  - one call per HTTP/2 stream whose request HEADERS carry content-type application/grpc*, in order of the
    first HEADERS frame: tcp_stream, stream, method (:path), status (grpc-status as a number, the last one
    the server sent, in response headers or trailers; null when none was seen).
bytes: reads `tshark -T fields` with tcp.stream, tcp.srcport, tcp.dstport, ip.src, ipv6.src, ip.dst,
ipv6.dst, tcp.len, tcp.flags.syn, tcp.flags.ack (retransmissions already filtered out) and writes one line
per TCP connection and direction: the TCP payload bytes sent that way.
"""

import json
import sys
import xml.etree.ElementTree as ET


def endpoint(addr, port):
    return "[%s]:%s" % (addr, port) if ":" in addr else "%s:%s" % (addr, port)


class Conns:
    """Who is the client of each tcp.stream."""

    def __init__(self, ports):
        self.ports = ports
        self.client = {}  # tcp.stream -> client endpoint (from the SYN)

    def saw(self, stream, src, dst, syn, ack):
        if syn and not ack and stream not in self.client:
            self.client[stream] = src

    def is_to_server(self, stream, src, dst, dstport):
        if stream in self.client:
            return src == self.client[stream]
        return dstport in self.ports


def fields(elem):
    """All descendant <field> elements by name (first occurrence wins in lookups)."""
    out = {}
    for f in elem.iter("field"):
        out.setdefault(f.get("name"), f.get("show"))
    return out


def grpc(ports, first=1):
    """`first`: the first packet kept by `editcap -r` (the capture was cut there): only messages completed
    in kept packets, renumbered as in the cut file, and calls with a HEADERS frame in them."""
    conns = Conns(ports)
    messages = []
    calls = {}  # (tcp_stream, stream) -> call
    order = []
    kept = set()  # calls with a HEADERS frame at or after `first`
    for _, packet in ET.iterparse(sys.stdin.buffer, events=("end",)):
        if packet.tag != "packet":
            continue
        frame = tcp_stream = None
        src = dst = None
        dstport = None
        h2_stream = None
        pending = None  # the message whose protobuf proto may follow
        for proto in packet.findall("proto"):
            name = proto.get("name")
            if name == "frame":
                frame = int(fields(proto)["frame.number"])
            elif name in ("ip", "ipv6"):
                f = fields(proto)
                addr_src, addr_dst = f.get(name + ".src"), f.get(name + ".dst")
            elif name == "tcp":
                f = fields(proto)
                tcp_stream = int(f["tcp.stream"])
                src = endpoint(addr_src, f["tcp.srcport"])
                dst = endpoint(addr_dst, f["tcp.dstport"])
                dstport = int(f["tcp.dstport"])
                conns.saw(tcp_stream, src, dst, f.get("tcp.flags.syn") in ("1", "True"),
                          f.get("tcp.flags.ack") in ("1", "True"))
            elif name == "http2":
                pending = None
                for h2 in proto.findall("field"):
                    if h2.get("name") != "http2.stream":
                        continue
                    sid = None
                    kind = None
                    headers = []
                    for child in h2:
                        n = child.get("name")
                        if n == "http2.streamid":
                            sid = int(child.get("show"))
                        elif n == "http2.type":
                            kind = int(child.get("show"))
                        elif n == "http2.header":
                            hn = hv = None
                            for hf in child:
                                if hf.get("name") == "http2.header.name":
                                    hn = hf.get("show")
                                elif hf.get("name") == "http2.header.value":
                                    hv = hf.get("show")
                            if hn is not None:
                                headers.append((hn, hv if hv is not None else ""))
                    if sid is None:
                        continue
                    h2_stream = sid
                    if kind == 1 and frame >= first:
                        kept.add((tcp_stream, sid))
                    if kind == 1 and headers:  # HEADERS
                        key = (tcp_stream, sid)
                        hd = dict(headers)
                        to_server = conns.is_to_server(tcp_stream, src, dst, dstport)
                        if to_server and ":path" in hd and key not in calls:
                            if hd.get("content-type", "").startswith("application/grpc"):
                                calls[key] = {"tcp_stream": tcp_stream, "stream": sid, "method": hd[":path"],
                                              "status": None}
                                order.append(key)
                        elif not to_server and key in calls and "grpc-status" in hd:
                            try:
                                calls[key]["status"] = int(hd["grpc-status"])
                            except ValueError:
                                calls[key]["status"] = hd["grpc-status"]
            elif name == "grpc":
                f = fields(proto)
                if "grpc.message_length" not in f:
                    continue
                to_server = conns.is_to_server(tcp_stream, src, dst, dstport)
                pending = {
                    "frame": frame,
                    "tcp_stream": tcp_stream,
                    "stream": h2_stream,
                    "direction": "request" if to_server else "response",
                    "length": int(f["grpc.message_length"]),
                    "compressed": int(f.get("grpc.compressed_flag", "0"), 0),
                    "message_type": None,
                }
                messages.append(pending)
            elif name == "protobuf":
                if pending is not None and pending["message_type"] is None:
                    for fe in proto.iter("field"):
                        if fe.get("name") == "protobuf.message.name":
                            pending["message_type"] = fe.get("show")
                            break
                pending = None
        packet.clear()
    if first > 1:
        messages = [dict(m, frame=m["frame"] - first + 1) for m in messages if m["frame"] >= first]
        order = [k for k in order if k in kept]
    out = sys.stdout
    out.write('{"messages": [')
    out.write(",".join("\n  " + json.dumps(m, ensure_ascii=False) for m in messages))
    out.write('\n], "calls": [')
    out.write(",".join("\n  " + json.dumps(calls[k], ensure_ascii=False) for k in order))
    out.write("\n]}\n")


def bytes_(ports):
    conns = Conns(ports)
    totals = {}  # (tcp_stream, src, dst) -> bytes
    first = []
    header = sys.stdin.readline().rstrip("\n").split("\t")
    col = {n: i for i, n in enumerate(header)}
    for line in sys.stdin:
        v = line.rstrip("\n").split("\t")
        if not v[col["tcp.stream"]]:
            continue
        stream = int(v[col["tcp.stream"]])
        a_src = v[col["ip.src"]] or v[col["ipv6.src"]]
        a_dst = v[col["ip.dst"]] or v[col["ipv6.dst"]]
        src = endpoint(a_src, v[col["tcp.srcport"]])
        dst = endpoint(a_dst, v[col["tcp.dstport"]])
        conns.saw(stream, src, dst, v[col["tcp.flags.syn"]] in ("1", "True"), v[col["tcp.flags.ack"]] in ("1", "True"))
        key = (stream, src, dst)
        if key not in totals:
            totals[key] = 0
            first.append(key)
        totals[key] += int(v[col["tcp.len"]] or 0)
    rows = []
    for stream, src, dst in first:
        dstport = int(dst.rsplit(":", 1)[1])
        to_server = conns.is_to_server(stream, src, dst, dstport)
        rows.append((stream, 0 if to_server else 1, src, dst, totals[(stream, src, dst)]))
    rows.sort()
    print("tcp.stream\tdirection\tsrc\tdst\tbytes")
    for stream, d, src, dst, n in rows:
        print("%d\t%s\t%s\t%s\t%d" % (stream, "client_to_server" if d == 0 else "server_to_client", src, dst, n))


def main():
    if len(sys.argv) not in (3, 4) or sys.argv[1] not in ("grpc", "bytes"):
        sys.exit("usage: tshark2golden.py grpc|bytes PORT[,PORT...] [FIRST_KEPT_FRAME]")
    ports = {int(p) for p in sys.argv[2].split(",") if p}
    if sys.argv[1] == "grpc":
        grpc(ports, int(sys.argv[3]) if len(sys.argv) == 4 else 1)
    else:
        bytes_(ports)


if __name__ == "__main__":
    main()
