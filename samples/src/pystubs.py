"""Generates the Python stubs of the sample protos at run time (never committed) and imports them.

grpc_tools.protoc writes demo_pb2.py, demo_pb2_grpc.py, helloworld_pb2.py and helloworld_pb2_grpc.py into a
fresh temporary directory that is put on sys.path; the directory is removed when the program exits.
"""

import atexit
import os
import shutil
import sys
import tempfile

import grpc_tools
from grpc_tools import protoc

PROTO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "protos")


def load():
    out = tempfile.mkdtemp(prefix="grpctk-pystubs-")
    atexit.register(shutil.rmtree, out, True)
    # The well-known types (google/protobuf/*.proto) ship with grpc_tools.
    well_known = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    rc = protoc.main([
        "grpc_tools.protoc",
        "-I" + PROTO_DIR,
        "-I" + well_known,
        "--python_out=" + out,
        "--grpc_python_out=" + out,
        os.path.join(PROTO_DIR, "grpctk", "demo", "demo.proto"),
        os.path.join(PROTO_DIR, "helloworld.proto"),
    ])
    if rc != 0:
        sys.exit("pystubs: grpc_tools.protoc failed with status %d" % rc)
    sys.path.insert(0, out)
    from grpctk.demo import demo_pb2, demo_pb2_grpc  # noqa: E402
    import helloworld_pb2, helloworld_pb2_grpc  # noqa: E402
    return demo_pb2, demo_pb2_grpc, helloworld_pb2, helloworld_pb2_grpc
