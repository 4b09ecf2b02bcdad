// grpctk_pcap: the small libpcap binding behind `grpctk capture`.
//
// Why our own: npm's `cap` 0.2.1 hands packets without timestamps, and `pcap` 3.1.0 (NAN, unmaintained) gives
// microsecond timestamps one packet per callback. grpctk needs kernel timestamps to the nanosecond, the
// original length, pcap_stats() drop counters, libpcap's own words for a bad filter, and packets in batches
// without blocking the event loop.
//
// How: the handle is opened non-blocking and its selectable descriptor is watched by a libuv poll handle on
// the main loop (uv_poll_t, level-triggered). When the descriptor is readable, pcap_dispatch() drains what
// libpcap has ready into one Buffer of packed records and hands it to JavaScript in one call. No threads: the
// pcap_t is only ever touched from the main thread, so pcap_stats() and pcap_close() need no locking.
//
// A batch is a sequence of records, each a 20-byte header then the captured bytes, no padding:
//   u32 ts_sec_lo, u32 ts_sec_hi   seconds since the epoch
//   u32 ts_nsec                    nanoseconds (microseconds * 1000 when libpcap offers only microseconds)
//   u32 caplen                     bytes that follow
//   u32 len                        length on the wire (the original length)
// All little-endian, whatever the host, so src/capture/batch.ts reads it with one DataView.
//
// Errors are JavaScript exceptions carrying libpcap's message and a `code`: PERM_DENIED, PROMISC_PERM_DENIED,
// NO_SUCH_DEVICE, IFACE_NOT_UP, FILTER, PCAP_ERROR; a failed activation also carries libpcap's bare `detail`.

#include <napi.h>
#include <uv.h>

#include <pcap/pcap.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

// Bytes of the per-record header described above.
constexpr size_t kRecordHeaderBytes = 20;

// A batch stops growing once it holds this many bytes; what is left stays in the kernel's ring buffer and the
// (level-triggered) poll handle fires again on the next loop turn. Bounds the memory of one batch and how long
// one turn of the event loop can take.
constexpr size_t kBatchSoftLimitBytes = 4u << 20;

// Packets asked of one pcap_dispatch() call. The soft limit above is checked between calls, so a batch can
// exceed it by at most this many packets of at most snaplen bytes each.
constexpr int kPacketsPerDispatch = 64;

// libpcap's snaplen upper bound (MAXIMUM_SNAPLEN in libpcap, tcpdump's default).
constexpr int kMaximumSnaplen = 262144;

void PutU32LE(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

Napi::Error CodedError(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

const char* CodeForStatus(int status) {
  switch (status) {
    case PCAP_ERROR_PERM_DENIED: return "PERM_DENIED";
    case PCAP_ERROR_PROMISC_PERM_DENIED: return "PROMISC_PERM_DENIED";
    case PCAP_ERROR_NO_SUCH_DEVICE: return "NO_SUCH_DEVICE";
    case PCAP_ERROR_IFACE_NOT_UP: return "IFACE_NOT_UP";
    default: return "PCAP_ERROR";
  }
}

// pcap_activate()'s status in words: libpcap's generic text, then its detail when it left one.
std::string StatusMessage(pcap_t* p, int status) {
  std::string msg = pcap_statustostr(status);
  const char* detail = pcap_geterr(p);
  if (detail != nullptr && detail[0] != '\0') {
    // The generic text ("Generic error") adds nothing; neither does a detail that repeats the text.
    if (status == PCAP_ERROR || msg == detail) return detail;
    msg += " (";
    msg += detail;
    msg += ")";
  }
  return msg;
}

int32_t OptionalInt(const Napi::Object& o, const char* key, int32_t fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a number");
  return v.As<Napi::Number>().Int32Value();
}

bool OptionalBool(const Napi::Object& o, const char* key, bool fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  return v.ToBoolean().Value();
}

std::string OptionalString(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return std::string();
  if (!v.IsString()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

class Handle : public Napi::ObjectWrap<Handle> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Handle",
                       {
                           InstanceMethod<&Handle::Start>("start"),
                           InstanceMethod<&Handle::Stop>("stop"),
                           InstanceMethod<&Handle::Drain>("drain"),
                           InstanceMethod<&Handle::Stats>("stats"),
                           InstanceMethod<&Handle::Close>("close"),
                           InstanceAccessor<&Handle::LinkType>("linkType"),
                           InstanceAccessor<&Handle::LinkTypeName>("linkTypeName"),
                           InstanceAccessor<&Handle::Snaplen>("snaplen"),
                           InstanceAccessor<&Handle::TsPrecision>("tsPrecision"),
                           InstanceAccessor<&Handle::Warning>("warning"),
                       });
  }

  // new Handle({ device, snaplen?, promisc?, immediate? (false), timeoutMs? (100), bufferSize?, filter? })
  // Opens and activates the device, installs the filter, and switches to non-blocking reads.
  explicit Handle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Handle>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "options object expected");
    Napi::Object o = info[0].As<Napi::Object>();
    const std::string device = OptionalString(o, "device");
    if (device.empty()) throw Napi::TypeError::New(env, "options.device must be a non-empty string");
    int32_t snaplen = OptionalInt(o, "snaplen", kMaximumSnaplen);
    if (snaplen <= 0 || snaplen > kMaximumSnaplen) snaplen = kMaximumSnaplen;
    const bool promisc = OptionalBool(o, "promisc", false);
    const bool immediate = OptionalBool(o, "immediate", false);
    const int32_t timeoutMs = OptionalInt(o, "timeoutMs", 100);
    const int32_t bufferSize = OptionalInt(o, "bufferSize", 0);
    const std::string filter = OptionalString(o, "filter");

    char errbuf[PCAP_ERRBUF_SIZE];
    errbuf[0] = '\0';
    pcap_t* p = pcap_create(device.c_str(), errbuf);
    if (p == nullptr) throw CodedError(env, "PCAP_ERROR", errbuf);
    // Every failure below closes p before throwing: the constructor never finishes, so no destructor runs.
    auto fail = [&](const char* code, const std::string& message) -> Napi::Error {
      pcap_close(p);
      return CodedError(env, code, message);
    };

    pcap_set_snaplen(p, snaplen);
    pcap_set_promisc(p, promisc ? 1 : 0);
    pcap_set_timeout(p, timeoutMs > 0 ? timeoutMs : 100);
    // Not immediate by default: on Linux that selects TPACKET_V3, whose blocks pack many packets and are handed
    // over when full or `timeoutMs` old, so batches come cheap and a quiet link still shows its packets within
    // the timeout. Immediate mode means TPACKET_V2, one snaplen-sized ring frame per packet: far fewer
    // packets fit in the buffer (see src/capture/capture.ts, BUFFER_TIMEOUT_MS).
    pcap_set_immediate_mode(p, immediate ? 1 : 0);
    if (bufferSize > 0) pcap_set_buffer_size(p, bufferSize);
    // Nanoseconds where libpcap offers them; otherwise microseconds, reported through tsPrecision.
    pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);

    const int status = pcap_activate(p);
    if (status < 0) {
      const std::string detail = pcap_geterr(p);
      Napi::Error e = fail(CodeForStatus(status), StatusMessage(p, status));
      e.Set("detail", Napi::String::New(env, detail));
      throw e;
    }
    if (status > 0) warning_ = StatusMessage(p, status);
    nano_ = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;

    if (!filter.empty()) {
      bpf_u_int32 net = 0;
      bpf_u_int32 mask = PCAP_NETMASK_UNKNOWN;
      // The netmask only matters for `ip broadcast`; devices without an IPv4 address (any, lo6) have none.
      if (pcap_lookupnet(device.c_str(), &net, &mask, errbuf) != 0) mask = PCAP_NETMASK_UNKNOWN;
      struct bpf_program prog;
      if (pcap_compile(p, &prog, filter.c_str(), 1, mask) != 0) throw fail("FILTER", pcap_geterr(p));
      const int set = pcap_setfilter(p, &prog);
      pcap_freecode(&prog);
      if (set != 0) throw fail("PCAP_ERROR", pcap_geterr(p));
    }
    if (pcap_setnonblock(p, 1, errbuf) != 0) throw fail("PCAP_ERROR", errbuf);
    pcap_ = p;
  }

  ~Handle() override {
    // Normally close() ran already (and a polling handle is never collected: Start() holds a reference).
    // What is left here is environment teardown, where closing the poll handle is all that is needed.
    if (poll_ != nullptr) {
      uv_poll_stop(poll_);
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), FreePoll);
      poll_ = nullptr;
    }
    if (pcap_ != nullptr) pcap_close(pcap_);
    delete batch_;
  }

 private:
  static void FreePoll(uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); }

  pcap_t* Open(Napi::Env env) {
    if (pcap_ == nullptr) throw CodedError(env, "PCAP_ERROR", "capture handle is closed");
    return pcap_;
  }

  // start(onBatch(buffer), onError(error)): watch the descriptor; each readable turn yields one batch.
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    pcap_t* p = Open(env);
    if (poll_ != nullptr) throw CodedError(env, "PCAP_ERROR", "capture already started");
    if (info.Length() < 2 || !info[0].IsFunction() || !info[1].IsFunction())
      throw Napi::TypeError::New(env, "start(onBatch, onError) expects two functions");
    const int fd = pcap_get_selectable_fd(p);
    if (fd < 0) throw CodedError(env, "PCAP_ERROR", "this device cannot be watched for readability");

    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr)
      throw CodedError(env, "PCAP_ERROR", "no event loop");
    auto* poll = new uv_poll_t;
    int rc = uv_poll_init(loop, poll, fd);
    if (rc != 0) {
      delete poll;
      throw CodedError(env, "PCAP_ERROR", std::string("uv_poll_init: ") + uv_strerror(rc));
    }
    poll->data = this;
    rc = uv_poll_start(poll, UV_READABLE, OnReadable);
    if (rc != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(poll), FreePoll);
      throw CodedError(env, "PCAP_ERROR", std::string("uv_poll_start: ") + uv_strerror(rc));
    }
    poll_ = poll;
    onBatch_ = Napi::Persistent(info[0].As<Napi::Function>());
    onError_ = Napi::Persistent(info[1].As<Napi::Function>());
    async_ = std::make_shared<Napi::AsyncContext>(env, "grpctk:capture");
    // While polling, the JavaScript object must outlive the callbacks that point back at it.
    Ref();
    return env.Undefined();
  }

  // stop(): no more callbacks. Packets already in libpcap's buffer stay there for drain().
  Napi::Value Stop(const Napi::CallbackInfo& info) {
    StopPolling();
    return info.Env().Undefined();
  }

  void StopPolling() {
    if (poll_ == nullptr) return;
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), FreePoll);
    poll_ = nullptr;
    onBatch_.Reset();
    onError_.Reset();
    async_.reset();
    Unref();
  }

  // drain(): Buffer | null. Reads, without blocking, what libpcap has ready (at most one batch's worth);
  // call until it returns null to empty the buffer after stop().
  Napi::Value Drain(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    pcap_t* p = Open(env);
    const int r = ReadReady(/*untilEmpty=*/true);
    if (r < 0 && batchCount_ == 0) throw CodedError(env, "PCAP_ERROR", pcap_geterr(p));
    if (batchCount_ == 0) return env.Null();
    return TakeBatch(env);
  }

  // stats(): { received, dropped, ifDropped } from pcap_stats(), counted since activation.
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    pcap_t* p = Open(env);
    struct pcap_stat st;
    std::memset(&st, 0, sizeof st);
    if (pcap_stats(p, &st) != 0) throw CodedError(env, "PCAP_ERROR", pcap_geterr(p));
    Napi::Object o = Napi::Object::New(env);
    o.Set("received", Napi::Number::New(env, st.ps_recv));
    o.Set("dropped", Napi::Number::New(env, st.ps_drop));
    o.Set("ifDropped", Napi::Number::New(env, st.ps_ifdrop));
    return o;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    StopPolling();
    if (pcap_ != nullptr) {
      pcap_close(pcap_);
      pcap_ = nullptr;
    }
    return info.Env().Undefined();
  }

  Napi::Value LinkType(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), pcap_datalink(Open(info.Env())));
  }
  Napi::Value LinkTypeName(const Napi::CallbackInfo& info) {
    const char* name = pcap_datalink_val_to_name(pcap_datalink(Open(info.Env())));
    return Napi::String::New(info.Env(), name != nullptr ? name : "unknown");
  }
  Napi::Value Snaplen(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), pcap_snapshot(Open(info.Env())));
  }
  Napi::Value TsPrecision(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), nano_ ? "nano" : "micro");
  }
  Napi::Value Warning(const Napi::CallbackInfo& info) {
    if (warning_.empty()) return info.Env().Undefined();
    return Napi::String::New(info.Env(), warning_);
  }

  static void OnPacket(u_char* user, const struct pcap_pkthdr* h, const u_char* bytes) {
    auto* self = reinterpret_cast<Handle*>(user);
    if (self->batch_ == nullptr) self->batch_ = new std::vector<uint8_t>();
    std::vector<uint8_t>& b = *self->batch_;
    const uint32_t caplen = h->caplen;
    const size_t at = b.size();
    b.resize(at + kRecordHeaderBytes + caplen);
    uint8_t* r = b.data() + at;
    const uint64_t sec = static_cast<uint64_t>(h->ts.tv_sec);
    const uint32_t frac = static_cast<uint32_t>(h->ts.tv_usec);
    PutU32LE(r, static_cast<uint32_t>(sec));
    PutU32LE(r + 4, static_cast<uint32_t>(sec >> 32));
    PutU32LE(r + 8, self->nano_ ? frac : frac * 1000u);
    PutU32LE(r + 12, caplen);
    PutU32LE(r + 16, h->len);
    if (caplen > 0) std::memcpy(r + kRecordHeaderBytes, bytes, caplen);
    self->batchCount_++;
  }

  // Moves what libpcap has ready into batch_, up to kBatchSoftLimitBytes. Returns pcap_dispatch()'s negative
  // status on error (packets read before it stay in batch_), else 0. Without untilEmpty it stops as soon as
  // libpcap returns fewer packets than asked: the poll handle will fire again if more arrived.
  int ReadReady(bool untilEmpty) {
    for (;;) {
      if (batch_ != nullptr && batch_->size() >= kBatchSoftLimitBytes) return 0;
      const int n = pcap_dispatch(pcap_, kPacketsPerDispatch, OnPacket, reinterpret_cast<u_char*>(this));
      if (n < 0) return n;
      if (n == 0) return 0;
      if (!untilEmpty && n < kPacketsPerDispatch) return 0;
    }
  }

  // The batch as a Buffer that owns the vector's memory: no copy between libpcap's ring and JavaScript.
  Napi::Value TakeBatch(Napi::Env env) {
    std::vector<uint8_t>* v = batch_;
    batch_ = nullptr;
    batchCount_ = 0;
    try {
      return Napi::Buffer<uint8_t>::New(
          env, v->data(), v->size(), [](Napi::Env, uint8_t*, std::vector<uint8_t>* hint) { delete hint; }, v);
    } catch (...) {
      delete v;
      throw;
    }
  }

  static void OnReadable(uv_poll_t* poll, int status, int /*events*/) {
    auto* self = static_cast<Handle*>(poll->data);
    if (self == nullptr || self->poll_ != poll) return;  // stopped while this event was queued
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    try {
      if (status < 0) {
        self->Fail(env, CodedError(env, "PCAP_ERROR", std::string("poll: ") + uv_strerror(status)));
        return;
      }
      const int r = self->ReadReady(/*untilEmpty=*/false);
      if (self->batchCount_ > 0) {
        Napi::Value batch = self->TakeBatch(env);
        // The callback may call stop() or close(): hold what the call needs, and touch nothing of self after
        // it unless still polling.
        Napi::Function onBatch = self->onBatch_.Value();
        std::shared_ptr<Napi::AsyncContext> async = self->async_;
        onBatch.MakeCallback(env.Global(), {batch}, *async);
        if (self->poll_ != poll) return;
      }
      if (r < 0) {
        const char* msg = self->pcap_ != nullptr ? pcap_geterr(self->pcap_) : "capture failed";
        self->Fail(env, CodedError(env, "PCAP_ERROR", msg));
      }
    } catch (const Napi::Error& e) {
      // An exception thrown by the JavaScript callback: report it as uncaught, as Node does for any callback.
      napi_fatal_exception(env, e.Value());
    }
  }

  // Stops polling and hands the error to onError (after which the owner closes the handle).
  void Fail(Napi::Env env, Napi::Error err) {
    if (onError_.IsEmpty() || !async_) return StopPolling();
    Napi::Function onError = onError_.Value();
    std::shared_ptr<Napi::AsyncContext> async = async_;
    StopPolling();
    onError.MakeCallback(env.Global(), {err.Value()}, *async);
  }

  pcap_t* pcap_ = nullptr;
  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference onBatch_;
  Napi::FunctionReference onError_;
  // Shared so a callback in flight keeps its context alive when it calls stop() or close() itself.
  std::shared_ptr<Napi::AsyncContext> async_;
  std::vector<uint8_t>* batch_ = nullptr;  // owned here until TakeBatch() gives it to a Buffer
  uint32_t batchCount_ = 0;
  bool nano_ = false;
  std::string warning_;
};

std::string AddressToString(const struct sockaddr* sa) {
  if (sa == nullptr) return std::string();
  char text[INET6_ADDRSTRLEN];
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const struct sockaddr_in*>(sa);
    if (inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) != nullptr) return text;
  } else if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const struct sockaddr_in6*>(sa);
    if (inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text) != nullptr) return text;
  }
  return std::string();
}

// listInterfaces(): [{ name, description?, loopback, up, running, addresses: string[] }], in libpcap's
// order (the order `dumpcap -D` and `tcpdump -D` show).
Napi::Value ListInterfaces(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  char errbuf[PCAP_ERRBUF_SIZE];
  errbuf[0] = '\0';
  pcap_if_t* all = nullptr;
  if (pcap_findalldevs(&all, errbuf) != 0) throw CodedError(env, "PCAP_ERROR", errbuf);
  Napi::Array list = Napi::Array::New(env);
  uint32_t i = 0;
  try {
    for (pcap_if_t* d = all; d != nullptr; d = d->next) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", Napi::String::New(env, d->name));
      if (d->description != nullptr) o.Set("description", Napi::String::New(env, d->description));
      o.Set("loopback", Napi::Boolean::New(env, (d->flags & PCAP_IF_LOOPBACK) != 0));
      o.Set("up", Napi::Boolean::New(env, (d->flags & PCAP_IF_UP) != 0));
      o.Set("running", Napi::Boolean::New(env, (d->flags & PCAP_IF_RUNNING) != 0));
      Napi::Array addrs = Napi::Array::New(env);
      uint32_t j = 0;
      for (pcap_addr_t* a = d->addresses; a != nullptr; a = a->next) {
        std::string s = AddressToString(a->addr);
        if (!s.empty()) addrs.Set(j++, Napi::String::New(env, s));
      }
      o.Set("addresses", addrs);
      list.Set(i++, o);
    }
  } catch (...) {
    pcap_freealldevs(all);
    throw;
  }
  pcap_freealldevs(all);
  return list;
}

Napi::Value LibVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), pcap_lib_version());
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("Handle", Handle::Init(env));
  exports.Set("listInterfaces", Napi::Function::New(env, ListInterfaces, "listInterfaces"));
  exports.Set("libVersion", Napi::Function::New(env, LibVersion, "libVersion"));
  return exports;
}

}  // namespace

NODE_API_MODULE(grpctk_pcap, InitModule)
