// grpc-go client of the sample captures (Debian's golang-google-grpc-dev, built offline in GOPATH mode by
// samples/make-samples.sh). One long-lived connection: a round of calls, a pause of 1.5 s where the capture
// is cut, a second round. grpc-go's HPACK encoder indexes :path and most other fields, so after the cut the
// calls of the second round refer to table entries the capture never saw.
//
//	go run main.go -target 127.0.0.1:52100
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	demo "grpctkpb/demo"
	hello "grpctkpb/hello"
)

var failures []string

func expect(name string, err error, want codes.Code) {
	got := status.Code(err)
	fmt.Printf("%s: status %d\n", name, got)
	if got != want {
		failures = append(failures, fmt.Sprintf("%s: expected status %d, got %d (%v)", name, want, got, err))
	}
}

func unary(cc *grpc.ClientConn, method string, req, reply interface{}, md metadata.MD) error {
	ctx := context.Background()
	if md != nil {
		ctx = metadata.NewOutgoingContext(ctx, md)
	}
	return cc.Invoke(ctx, method, req, reply)
}

func serverStream(cc *grpc.ClientConn, req *demo.DemoRequest) error {
	desc := &grpc.StreamDesc{StreamName: "ServerStream", ServerStreams: true}
	s, err := cc.NewStream(context.Background(), desc, "/grpctk.demo.Demo/ServerStream")
	if err != nil {
		return err
	}
	if err := s.SendMsg(req); err != nil {
		return err
	}
	if err := s.CloseSend(); err != nil {
		return err
	}
	for {
		var r demo.DemoReply
		if err := s.RecvMsg(&r); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

func clientStream(cc *grpc.ClientConn, reqs []*demo.DemoRequest) error {
	desc := &grpc.StreamDesc{StreamName: "ClientStream", ClientStreams: true}
	s, err := cc.NewStream(context.Background(), desc, "/grpctk.demo.Demo/ClientStream")
	if err != nil {
		return err
	}
	for _, r := range reqs {
		if err := s.SendMsg(r); err != nil {
			return err
		}
	}
	if err := s.CloseSend(); err != nil {
		return err
	}
	var r demo.DemoReply
	return s.RecvMsg(&r)
}

// bidi sends each request after the previous reply arrived.
func bidi(cc *grpc.ClientConn, texts []string) error {
	desc := &grpc.StreamDesc{StreamName: "Bidi", ClientStreams: true, ServerStreams: true}
	s, err := cc.NewStream(context.Background(), desc, "/grpctk.demo.Demo/Bidi")
	if err != nil {
		return err
	}
	for _, t := range texts {
		if err := s.SendMsg(&demo.DemoRequest{Text: t, Color: demo.Color_COLOR_BLUE}); err != nil {
			return err
		}
		var r demo.DemoReply
		if err := s.RecvMsg(&r); err != nil {
			return err
		}
	}
	if err := s.CloseSend(); err != nil {
		return err
	}
	var r demo.DemoReply
	if err := s.RecvMsg(&r); err != io.EOF {
		return err
	}
	return nil
}

func main() {
	target := flag.String("target", "127.0.0.1:52100", "server address")
	flag.Parse()
	cc, err := grpc.Dial(*target, grpc.WithInsecure(), grpc.WithBlock())
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-client:", err)
		os.Exit(1)
	}
	for n := 1; n <= 2; n++ {
		md := metadata.Pairs("x-request-id", "req-0001", "x-round", fmt.Sprint(n))
		expect(fmt.Sprintf("Unary ok %d", n), unary(cc, "/grpctk.demo.Demo/Unary",
			&demo.DemoRequest{Action: "ok", Text: fmt.Sprintf("round %d", n), Numbers: []int32{1, 2, 3}, Tags: []string{"go"}},
			&demo.DemoReply{}, md), codes.OK)
		expect(fmt.Sprintf("ServerStream 3 %d", n), serverStream(cc, &demo.DemoRequest{Action: "ok", Text: "stream", Count: 3}), codes.OK)
		expect(fmt.Sprintf("SayHello %d", n), unary(cc, "/helloworld.Greeter/SayHello",
			&hello.HelloRequest{Name: fmt.Sprintf("round %d", n)}, &hello.HelloReply{}, nil), codes.OK)
		expect(fmt.Sprintf("Unary error %d", n), unary(cc, "/grpctk.demo.Demo/Unary",
			&demo.DemoRequest{Action: "error", Text: "please fail"}, &demo.DemoReply{}, nil), codes.InvalidArgument)
		expect(fmt.Sprintf("Bidi 2 %d", n), bidi(cc, []string{"one", "two"}), codes.OK)
		if n == 1 {
			time.Sleep(1500 * time.Millisecond)
		}
	}
	expect("ClientStream 3", clientStream(cc, []*demo.DemoRequest{{Text: "part 1", Numbers: []int32{1}}, {Text: "part 2", Numbers: []int32{2}}, {Text: "part 3", Numbers: []int32{3}}}), codes.OK)
	expect("Unary fail-fast", unary(cc, "/grpctk.demo.Demo/Unary", &demo.DemoRequest{Action: "fail-fast"}, &demo.DemoReply{}, nil), codes.NotFound)
	cc.Close()
	if len(failures) > 0 {
		fmt.Fprintln(os.Stderr, "go-client:", failures)
		os.Exit(1)
	}
}
