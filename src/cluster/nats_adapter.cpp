// The libnats adapter behind nats_client.h: the only file that includes
// <nats/nats.h>. Every natsStatus becomes a Status here.
#include <nats/nats.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "meridian/cluster/nats_client.h"

namespace meridian::cluster {

namespace {

std::string last_error_text(natsStatus s) {
  natsStatus st = s;
  const char* text = nats_GetLastError(&st);
  std::string out = natsStatus_GetText(s);
  if (text && *text && out != text) out += std::string(": ") + text;
  return out;
}

Status to_status(natsStatus s, std::string_view what, jsErrCode jerr = static_cast<jsErrCode>(0)) {
  std::string msg = std::string(what) + ": " + last_error_text(s);
  if (jerr != 0) msg += " (jetstream error " + std::to_string(static_cast<int>(jerr)) + ")";
  if (s == NATS_NOT_FOUND) return Status::not_found(msg);
  return Status::io_error(msg);
}

bool is_wrong_last_sequence(natsStatus s) {
  natsStatus st = s;
  const char* text = nats_GetLastError(&st);
  return text && std::string_view(text).find("wrong last sequence") != std::string_view::npos;
}

constexpr int64_t kNanosPerMilli = 1000000;

}  // namespace

Result<std::vector<std::string>> parse_server_list(std::string_view list) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= list.size()) {
    size_t j = list.find(',', i);
    if (j == std::string_view::npos) j = list.size();
    std::string url(list.substr(i, j - i));
    url.erase(0, url.find_first_not_of(" \t"));
    url.erase(url.find_last_not_of(" \t") + 1);
    if (!url.empty()) {
      constexpr std::string_view kScheme = "nats://";
      size_t colon = url.rfind(':');
      if (url.rfind(kScheme, 0) != 0 || colon < kScheme.size() || colon == url.size() - 1 ||
          colon == kScheme.size() ||
          url.find_first_not_of("0123456789", colon + 1) != std::string::npos)
        return Status::invalid("--cluster: '" + url + "' is not a nats://HOST:PORT URL");
      out.push_back(std::move(url));
    }
    if (j == list.size()) break;
    i = j + 1;
  }
  if (out.empty()) return Status::invalid("--cluster: expected nats://HOST:PORT[,nats://HOST:PORT...]");
  return out;
}

// ---- NatsClient ----

struct NatsClient::Impl {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  int timeout_ms = 2000;
  ~Impl() {
    if (js) jsCtx_Destroy(js);
    if (nc) {
      natsConnection_Close(nc);
      natsConnection_Destroy(nc);
    }
  }
  jsOptions options() const {
    jsOptions o;
    jsOptions_Init(&o);
    o.Wait = timeout_ms;
    return o;
  }
};

NatsClient::NatsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NatsClient::~NatsClient() = default;

Result<std::unique_ptr<NatsClient>> NatsClient::connect(const NatsOptions& opt) {
  if (opt.servers.empty()) return Status::invalid("nats: no server URL given");
  natsOptions* o = nullptr;
  natsStatus s = natsOptions_Create(&o);
  std::vector<const char*> urls;
  for (const auto& u : opt.servers) urls.push_back(u.c_str());
  if (s == NATS_OK) s = natsOptions_SetServers(o, urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK && !opt.name.empty()) s = natsOptions_SetName(o, opt.name.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(o, opt.timeout_ms);
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(o, true);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(o, -1);  // forever
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(o, 100);
  if (s == NATS_OK) s = natsOptions_SetNoRandomize(o, false);
  auto impl = std::make_unique<Impl>();
  impl->timeout_ms = opt.timeout_ms;
  if (s == NATS_OK) s = natsConnection_Connect(&impl->nc, o);
  natsOptions_Destroy(o);
  if (s != NATS_OK) return to_status(s, "nats: connecting to " + opt.servers.front());
  jsOptions jo = impl->options();
  s = natsConnection_JetStream(&impl->js, impl->nc, &jo);
  if (s != NATS_OK) return to_status(s, "nats: jetstream context");
  return std::unique_ptr<NatsClient>(new NatsClient(std::move(impl)));
}

bool NatsClient::connected() const { return natsConnection_Status(impl_->nc) == NATS_CONN_STATUS_CONNECTED; }

Status NatsClient::ensure_stream(const StreamSpec& spec) {
  jsOptions jo = impl_->options();
  jsErrCode jerr = static_cast<jsErrCode>(0);
  jsStreamInfo* si = nullptr;
  natsStatus s = js_GetStreamInfo(&si, impl_->js, spec.name.c_str(), &jo, &jerr);
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(si);
    return Status::ok();
  }
  if (s != NATS_NOT_FOUND) return to_status(s, "nats: stream " + spec.name, jerr);
  std::vector<const char*> subjects;
  for (const auto& x : spec.subjects) subjects.push_back(x.c_str());
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = spec.name.c_str();
  cfg.Subjects = subjects.data();
  cfg.SubjectsLen = static_cast<int>(subjects.size());
  cfg.Storage = js_FileStorage;
  cfg.Replicas = spec.replicas;
  cfg.MaxBytes = spec.max_bytes;
  cfg.Duplicates = spec.duplicate_window_ms * kNanosPerMilli;
  jerr = static_cast<jsErrCode>(0);
  s = js_AddStream(&si, impl_->js, &cfg, &jo, &jerr);
  if (s != NATS_OK) {
    // Another node may have created it between our look-up and add.
    if (js_GetStreamInfo(&si, impl_->js, spec.name.c_str(), &jo, nullptr) == NATS_OK) {
      jsStreamInfo_Destroy(si);
      return Status::ok();
    }
    return to_status(s, "nats: creating stream " + spec.name, jerr);
  }
  jsStreamInfo_Destroy(si);
  return Status::ok();
}

Status NatsClient::delete_stream(const std::string& name) {
  jsOptions jo = impl_->options();
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_DeleteStream(impl_->js, name.c_str(), &jo, &jerr);
  if (s != NATS_OK && s != NATS_NOT_FOUND) return to_status(s, "nats: deleting stream " + name, jerr);
  return Status::ok();
}

Result<uint64_t> NatsClient::last_sequence(const std::string& stream) {
  jsOptions jo = impl_->options();
  jsErrCode jerr = static_cast<jsErrCode>(0);
  jsStreamInfo* si = nullptr;
  natsStatus s = js_GetStreamInfo(&si, impl_->js, stream.c_str(), &jo, &jerr);
  if (s != NATS_OK) return to_status(s, "nats: stream " + stream, jerr);
  uint64_t last = si->State.LastSeq;
  jsStreamInfo_Destroy(si);
  return last;
}

Result<PublishAck> NatsClient::publish(const std::string& subject, std::string_view data, const std::string& msg_id,
                                       int timeout_ms) {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = timeout_ms;
  if (!msg_id.empty()) po.MsgId = msg_id.c_str();
  jsPubAck* pa = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_Publish(&pa, impl_->js, subject.c_str(), data.data(), static_cast<int>(data.size()), &po, &jerr);
  if (s != NATS_OK) return to_status(s, "nats: publishing to " + subject, jerr);
  PublishAck ack{pa->Sequence, pa->Duplicate};
  jsPubAck_Destroy(pa);
  return ack;
}

namespace {

// The acks of one publish_batch, filled by libnats' ack handler thread.
struct BatchAcks {
  std::mutex mu;
  std::map<std::string, size_t, std::less<>> index_of;  // msg id -> item
  std::vector<Result<PublishAck>>* out = nullptr;
  std::vector<char>* done = nullptr;
};

void on_batch_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  auto* b = static_cast<BatchAcks*>(closure);
  const char* id = nullptr;
  if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && id) {
    std::lock_guard<std::mutex> lock(b->mu);
    auto it = b->index_of.find(std::string_view(id));
    if (it != b->index_of.end() && !(*b->done)[it->second]) {
      (*b->done)[it->second] = 1;
      if (pa) {
        (*b->out)[it->second] = PublishAck{pa->Sequence, pa->Duplicate};
      } else {
        std::string why = pae ? natsStatus_GetText(pae->Err) : "no ack";
        if (pae && pae->ErrText && *pae->ErrText) why += std::string(": ") + pae->ErrText;
        if (pae && pae->ErrCode != 0) why += " (jetstream error " + std::to_string(static_cast<int>(pae->ErrCode)) + ")";
        (*b->out)[it->second] = Status::io_error("nats: publishing to " + std::string(natsMsg_GetSubject(msg)) + ": " + why);
      }
    }
  }
  natsMsg_Destroy(msg);
}

}  // namespace

std::vector<Result<PublishAck>> NatsClient::publish_batch(const std::vector<PublishItem>& items, int timeout_ms,
                                                          int window) {
  std::vector<Result<PublishAck>> out(items.size(), Result<PublishAck>(Status::io_error("nats: no publish ack")));
  std::vector<char> done(items.size(), 0);
  if (items.empty()) return out;
  BatchAcks acks;
  acks.out = &out;
  acks.done = &done;
  for (size_t i = 0; i < items.size(); ++i) acks.index_of.emplace(items[i].msg_id, i);
  // A context of its own: its ack handler and pending list belong to this batch.
  jsOptions jo = impl_->options();
  jo.PublishAsync.MaxPending = std::max(1, window);
  jo.PublishAsync.AckHandler = on_batch_ack;
  jo.PublishAsync.AckHandlerClosure = &acks;
  jo.PublishAsync.StallWait = timeout_ms;
  jsCtx* js = nullptr;
  natsStatus s = natsConnection_JetStream(&js, impl_->nc, &jo);
  if (s != NATS_OK) {
    Status st = to_status(s, "nats: jetstream context");
    for (auto& r : out) r = st;
    return out;
  }
  for (size_t i = 0; i < items.size(); ++i) {
    const PublishItem& it = items[i];
    natsMsg* msg = nullptr;
    s = natsMsg_Create(&msg, it.subject.c_str(), nullptr, it.data.data(), static_cast<int>(it.data.size()));
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Nats-Msg-Id", it.msg_id.c_str());
    if (s == NATS_OK) s = js_PublishMsgAsync(js, &msg, nullptr);
    natsMsg_Destroy(msg);  // a no-op once the library owns it
    if (s != NATS_OK) {
      std::lock_guard<std::mutex> lock(acks.mu);
      done[i] = 1;
      out[i] = to_status(s, "nats: publishing to " + it.subject);
    }
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = timeout_ms;
  s = js_PublishAsyncComplete(js, &po);
  if (s != NATS_OK) {
    // Take back what was not acknowledged: its ack, if it comes now, is dropped.
    natsMsgList pending{nullptr, 0};
    if (js_PublishAsyncGetPendingList(&pending, js) == NATS_OK) natsMsgList_Destroy(&pending);
    // An ack handler already running (its message no longer pending) still
    // counts until it returns: wait for it, since it writes into `acks`.
    (void)js_PublishAsyncComplete(js, &po);
    std::lock_guard<std::mutex> lock(acks.mu);
    for (size_t i = 0; i < items.size(); ++i)
      if (!done[i]) {
        done[i] = 1;
        out[i] = Status::io_error("nats: publishing to " + items[i].subject + ": no publish ack within " +
                                  std::to_string(timeout_ms) + " ms (" + natsStatus_GetText(s) + ")");
      }
  }
  jsCtx_Destroy(js);
  return out;
}

// ---- LogConsumer ----

struct LogConsumer::Impl {
  natsSubscription* sub = nullptr;
  natsMsgList fetched{nullptr, 0};
  ~Impl() {
    if (fetched.Msgs) natsMsgList_Destroy(&fetched);
    if (sub) natsSubscription_Destroy(sub);  // keeps the durable consumer on the server
  }
};

LogConsumer::LogConsumer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LogConsumer::~LogConsumer() = default;

Result<std::unique_ptr<LogConsumer>> NatsClient::consumer(const std::string& stream, const std::string& subject,
                                                          const std::string& durable, uint64_t start_seq) {
  jsOptions jo = impl_->options();
  jsErrCode jerr = static_cast<jsErrCode>(0);
  jsConsumerInfo* ci = nullptr;
  natsStatus s = js_GetConsumerInfo(&ci, impl_->js, stream.c_str(), durable.c_str(), &jo, &jerr);
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream.c_str();
  if (s == NATS_OK) {
    jsConsumerInfo_Destroy(ci);
    so.Consumer = durable.c_str();  // bind: keep the consumer's own position
  } else if (s == NATS_NOT_FOUND) {
    so.Config.DeliverPolicy = js_DeliverByStartSequence;
    so.Config.OptStartSeq = std::max<uint64_t>(start_seq, 1);
    so.Config.AckPolicy = js_AckAll;
    so.Config.AckWait = 10000 * kNanosPerMilli;
    so.Config.MaxAckPending = 20000;
  } else {
    return to_status(s, "nats: consumer " + durable + " of " + stream, jerr);
  }
  auto impl = std::make_unique<LogConsumer::Impl>();
  jerr = static_cast<jsErrCode>(0);
  s = js_PullSubscribe(&impl->sub, impl_->js, subject.c_str(), durable.c_str(), &jo, &so, &jerr);
  if (s != NATS_OK) return to_status(s, "nats: subscribing " + durable + " to " + stream, jerr);
  return std::unique_ptr<LogConsumer>(new LogConsumer(std::move(impl)));
}

Status NatsClient::delete_consumer(const std::string& stream, const std::string& durable) {
  jsOptions jo = impl_->options();
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_DeleteConsumer(impl_->js, stream.c_str(), durable.c_str(), &jo, &jerr);
  if (s != NATS_OK && s != NATS_NOT_FOUND) return to_status(s, "nats: deleting consumer " + durable, jerr);
  return Status::ok();
}

Result<std::vector<LogMessage>> LogConsumer::fetch(int max, int timeout_ms) {
  if (impl_->fetched.Msgs) natsMsgList_Destroy(&impl_->fetched);
  impl_->fetched = natsMsgList{nullptr, 0};
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = natsSubscription_Fetch(&impl_->fetched, impl_->sub, max, timeout_ms, &jerr);
  std::vector<LogMessage> out;
  if (s == NATS_TIMEOUT) return out;
  if (s != NATS_OK) return to_status(s, "nats: fetch", jerr);
  out.reserve(impl_->fetched.Count);
  for (int i = 0; i < impl_->fetched.Count; ++i) {
    natsMsg* m = impl_->fetched.Msgs[i];
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, m) != NATS_OK) continue;  // not a stream message
    LogMessage lm;
    lm.seq = meta->Sequence.Stream;
    lm.pending = meta->NumPending;
    jsMsgMetaData_Destroy(meta);
    lm.data.assign(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m)));
    out.push_back(std::move(lm));
  }
  return out;
}

Status LogConsumer::ack_fetched() {
  if (!impl_->fetched.Msgs || impl_->fetched.Count == 0) return Status::ok();
  natsStatus s = natsMsg_Ack(impl_->fetched.Msgs[impl_->fetched.Count - 1], nullptr);
  natsMsgList_Destroy(&impl_->fetched);
  impl_->fetched = natsMsgList{nullptr, 0};
  if (s != NATS_OK) return to_status(s, "nats: ack");
  return Status::ok();
}

// ---- KvBucket ----

struct KvBucket::Impl {
  kvStore* kv = nullptr;
  std::string name;
  ~Impl() {
    if (kv) kvStore_Destroy(kv);
  }
};

KvBucket::KvBucket(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KvBucket::~KvBucket() = default;

Result<std::unique_ptr<KvBucket>> NatsClient::bucket(const std::string& name, int replicas, int64_t ttl_ms,
                                                     int history) {
  auto impl = std::make_unique<KvBucket::Impl>();
  impl->name = name;
  natsStatus s = js_KeyValue(&impl->kv, impl_->js, name.c_str());
  if (s != NATS_OK) {
    kvConfig cfg;
    kvConfig_Init(&cfg);
    cfg.Bucket = name.c_str();
    cfg.History = static_cast<uint8_t>(std::clamp(history, 1, 64));
    cfg.TTL = ttl_ms * kNanosPerMilli;  // libnats 3.4 passes TTL through as the stream MaxAge (ns)
    cfg.StorageType = js_FileStorage;
    cfg.Replicas = replicas;
    s = js_CreateKeyValue(&impl->kv, impl_->js, &cfg);
    if (s != NATS_OK && js_KeyValue(&impl->kv, impl_->js, name.c_str()) != NATS_OK)
      return to_status(s, "nats: key-value bucket " + name);
  }
  return std::unique_ptr<KvBucket>(new KvBucket(std::move(impl)));
}

Result<std::optional<KvBucket::Entry>> KvBucket::get(const std::string& key) {
  kvEntry* e = nullptr;
  natsStatus s = kvStore_Get(&e, impl_->kv, key.c_str());
  if (s == NATS_NOT_FOUND) return std::optional<Entry>();
  if (s != NATS_OK) return to_status(s, "nats kv " + impl_->name + ": get " + key);
  Entry out;
  out.value.assign(static_cast<const char*>(kvEntry_Value(e)), static_cast<size_t>(kvEntry_ValueLen(e)));
  out.revision = kvEntry_Revision(e);
  kvEntry_Destroy(e);
  return std::optional<Entry>(std::move(out));
}

Result<uint64_t> KvBucket::put(const std::string& key, std::string_view value) {
  uint64_t rev = 0;
  natsStatus s = kvStore_Put(&rev, impl_->kv, key.c_str(), value.data(), static_cast<int>(value.size()));
  if (s != NATS_OK) return to_status(s, "nats kv " + impl_->name + ": put " + key);
  return rev;
}

Result<uint64_t> KvBucket::create(const std::string& key, std::string_view value) {
  uint64_t rev = 0;
  natsStatus s = kvStore_Create(&rev, impl_->kv, key.c_str(), value.data(), static_cast<int>(value.size()));
  if (s == NATS_OK) return rev;
  if (is_wrong_last_sequence(s)) return Status::exists("nats kv " + impl_->name + ": " + key + " already exists");
  return to_status(s, "nats kv " + impl_->name + ": create " + key);
}

Result<uint64_t> KvBucket::update(const std::string& key, std::string_view value, uint64_t last) {
  uint64_t rev = 0;
  natsStatus s =
      kvStore_Update(&rev, impl_->kv, key.c_str(), value.data(), static_cast<int>(value.size()), last);
  if (s == NATS_OK) return rev;
  if (is_wrong_last_sequence(s))
    return Status::exists("nats kv " + impl_->name + ": revision conflict on " + key + " (expected " +
                          std::to_string(last) + ")");
  return to_status(s, "nats kv " + impl_->name + ": update " + key);
}

Status KvBucket::remove(const std::string& key) {
  natsStatus s = kvStore_Delete(impl_->kv, key.c_str());
  if (s != NATS_OK && s != NATS_NOT_FOUND) return to_status(s, "nats kv " + impl_->name + ": delete " + key);
  return Status::ok();
}

Result<std::vector<std::string>> KvBucket::keys() {
  kvKeysList list{nullptr, 0};
  natsStatus s = kvStore_Keys(&list, impl_->kv, nullptr);
  std::vector<std::string> out;
  if (s == NATS_NOT_FOUND) return out;
  if (s != NATS_OK) return to_status(s, "nats kv " + impl_->name + ": keys");
  for (int i = 0; i < list.Count; ++i) out.emplace_back(list.Keys[i]);
  kvKeysList_Destroy(&list);
  // The listing reads the last message per subject through a consumer; a
  // key rewritten while it runs (a heartbeat) can be delivered twice.
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace meridian::cluster
