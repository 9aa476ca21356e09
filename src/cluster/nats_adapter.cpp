// The libnats adapter behind nats_client.h: the only file that includes
// <nats/nats.h>. Every natsStatus becomes a Status here.
#include <nats/nats.h>

#include <algorithm>
#include <chrono>
#include <cstring>
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

namespace {

// Frees subscriptions safely. libnats 3.4's read loop looks a message's
// subscription up under the connection's table lock, releases that lock, and
// only then locks the subscription and files the message into it, without
// holding a reference (nats.c #637, fixed in 3.6.1). A subscription freed by
// natsSubscription_Destroy in that window is written after free: heap
// corruption ("malloc(): invalid size"), seen when a replica's consumer was
// dropped while its pull batch was still arriving. So a subscription is
// first unsubscribed (out of the table: no later message can find it) and
// retired here; it is freed only after a flush round trip, whose PONG the
// read loop handles after any message it had already picked up (a read loop
// replaced on reconnect is joined before its successor starts), or, for
// what is left, after natsConnection_Close, which joins the read loop.
// Thread-safe.
class RetiredSubscriptions {
 public:
  RetiredSubscriptions(natsConnection* nc, int timeout_ms) : nc_(nc), timeout_ms_(timeout_ms) {}

  // Unsubscribes `sub` now and frees it once no message can reach it. `sub`
  // must be a plain subscription (a JetStream one that created its consumer
  // would delete it on unsubscribe).
  void retire(natsSubscription* sub) {
    (void)natsSubscription_Unsubscribe(sub);  // fails only if already out of the table
    {
      std::lock_guard<std::mutex> lock(mu_);
      retired_.push_back(sub);
    }
    reap();
  }

  // Frees what was retired so far if a flush round trip succeeds; keeps it
  // for a later call otherwise (while disconnected, not even tried).
  void reap() {
    std::vector<natsSubscription*> batch;
    {
      std::lock_guard<std::mutex> lock(mu_);
      batch.swap(retired_);
    }
    if (batch.empty()) return;
    if (natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED &&
        natsConnection_FlushTimeout(nc_, timeout_ms_) == NATS_OK) {
      for (natsSubscription* sub : batch) natsSubscription_Destroy(sub);
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    retired_.insert(retired_.end(), batch.begin(), batch.end());
  }

  // Frees the rest; only once natsConnection_Close has returned.
  void destroy_after_close() {
    std::lock_guard<std::mutex> lock(mu_);
    for (natsSubscription* sub : retired_) natsSubscription_Destroy(sub);
    retired_.clear();
  }

 private:
  natsConnection* const nc_;
  const int timeout_ms_;
  std::mutex mu_;
  std::vector<natsSubscription*> retired_;  // GUARDED_BY(mu_): unsubscribed, not yet freed
};

}  // namespace

struct NatsClient::Impl {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  int timeout_ms = 2000;
  std::unique_ptr<RetiredSubscriptions> retired;  // set once connected

  ~Impl() {
    if (js) jsCtx_Destroy(js);
    if (nc) {
      natsConnection_Close(nc);  // joins the read loop
      if (retired) retired->destroy_after_close();
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
  impl->retired = std::make_unique<RetiredSubscriptions>(impl->nc, opt.timeout_ms);
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

namespace {

// The stream's first and last sequence (one stream-info request).
Result<std::pair<uint64_t, uint64_t>> stream_sequences(jsCtx* js, jsOptions jo, const std::string& stream) {
  jsErrCode jerr = static_cast<jsErrCode>(0);
  jsStreamInfo* si = nullptr;
  natsStatus s = js_GetStreamInfo(&si, js, stream.c_str(), &jo, &jerr);
  if (s != NATS_OK) return to_status(s, "nats: stream " + stream, jerr);
  std::pair<uint64_t, uint64_t> seqs{si->State.FirstSeq, si->State.LastSeq};
  jsStreamInfo_Destroy(si);
  return seqs;
}

}  // namespace

Result<uint64_t> NatsClient::last_sequence(const std::string& stream) {
  MERIDIAN_ASSIGN_OR_RETURN(auto seqs, stream_sequences(impl_->js, impl_->options(), stream));
  return seqs.second;
}

Result<uint64_t> NatsClient::first_sequence(const std::string& stream) {
  MERIDIAN_ASSIGN_OR_RETURN(auto seqs, stream_sequences(impl_->js, impl_->options(), stream));
  return seqs.first;
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
//
// The pull protocol is spoken here over a plain subscription rather than
// through js_PullSubscribe/natsSubscription_Fetch: libnats 3.4's fetch
// writes past its message array when it starts with messages already queued
// (late deliveries of an earlier pull request, e.g. requests replayed after
// a reconnect) and more than the rest of the batch then arrive (nats.c #749,
// fixed in 3.9.0): heap corruption ("malloc(): invalid size (unsorted)")
// in a replica following a stream through a broker restart. Here every
// message is copied out as it is read and the batch bound is ours.

namespace {

// A pull-request status ("NATS/1.0 408 Request Timeout" and the like): a
// message without data whose header carries the status code.
const char* pull_status(natsMsg* m) {
  const char* code = nullptr;
  if (natsMsg_GetDataLength(m) > 0 || natsMsgHeader_Get(m, "Status", &code) != NATS_OK) return nullptr;
  return code;
}

std::string pull_status_text(natsMsg* m, const char* code) {
  const char* desc = nullptr;
  std::string out = std::string("status ") + code;
  if (natsMsgHeader_Get(m, "Description", &desc) == NATS_OK && desc) out += std::string(" ") + desc;
  return out;
}

}  // namespace

struct LogConsumer::Impl {
  RetiredSubscriptions* retired = nullptr;  // the client's
  natsConnection* nc = nullptr;
  natsSubscription* sub = nullptr;  // sync, on `inbox`.*: deliveries of every pull request
  std::string inbox;
  std::string next_subject;  // $JS.API.CONSUMER.MSG.NEXT.<stream>.<durable>
  uint64_t requests = 0;     // pull requests sent; request n replies to `inbox`.n
  std::string last_ack;      // ack subject of the last message fetched ("" if none)
  ~Impl() {
    if (sub) retired->retire(sub);
  }

  // Sends a pull request for `batch` messages and returns its reply subject.
  Result<std::string> request(int batch, int64_t expires_ms, bool no_wait) {
    std::string reply = inbox + "." + std::to_string(++requests);
    std::string body = "{\"batch\":" + std::to_string(batch);
    if (no_wait) body += ",\"no_wait\":true";
    else body += ",\"expires\":" + std::to_string(expires_ms * kNanosPerMilli);
    body += "}";
    natsStatus s = natsConnection_PublishRequest(nc, next_subject.c_str(), reply.c_str(), body.data(),
                                                 static_cast<int>(body.size()));
    if (s != NATS_OK) return to_status(s, "nats: pull request to " + next_subject);
    return reply;
  }

  // Copies a delivered message into `out` (skipping one that is not a
  // stream message) and remembers its ack subject.
  void take(natsMsg* m, std::vector<LogMessage>* out) {
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, m) != NATS_OK) return;
    LogMessage lm;
    lm.seq = meta->Sequence.Stream;
    lm.pending = meta->NumPending;
    jsMsgMetaData_Destroy(meta);
    lm.data.assign(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m)));
    out->push_back(std::move(lm));
    last_ack = natsMsg_GetReply(m);
  }
};

LogConsumer::LogConsumer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LogConsumer::~LogConsumer() = default;

Result<std::unique_ptr<LogConsumer>> NatsClient::consumer(const std::string& stream, const std::string& subject,
                                                          const std::string& durable, uint64_t start_seq) {
  impl_->retired->reap();  // what was retired while disconnected
  jsOptions jo = impl_->options();
  jsErrCode jerr = static_cast<jsErrCode>(0);
  jsConsumerInfo* ci = nullptr;
  natsStatus s = js_GetConsumerInfo(&ci, impl_->js, stream.c_str(), durable.c_str(), &jo, &jerr);
  if (s == NATS_NOT_FOUND) {
    jsConsumerConfig cfg;
    jsConsumerConfig_Init(&cfg);
    cfg.Durable = durable.c_str();
    cfg.FilterSubject = subject.c_str();
    cfg.DeliverPolicy = js_DeliverByStartSequence;
    cfg.OptStartSeq = std::max<uint64_t>(start_seq, 1);
    cfg.AckPolicy = js_AckAll;
    cfg.AckWait = 10000 * kNanosPerMilli;
    cfg.MaxAckPending = 20000;
    jerr = static_cast<jsErrCode>(0);
    s = js_AddConsumer(&ci, impl_->js, stream.c_str(), &cfg, &jo, &jerr);
    // Created by someone else meanwhile: use that one.
    if (s != NATS_OK && (jerr == JSConsumerNameExistErr || jerr == JSConsumerExistingActiveErr)) {
      jerr = static_cast<jsErrCode>(0);
      s = js_GetConsumerInfo(&ci, impl_->js, stream.c_str(), durable.c_str(), &jo, &jerr);
    }
  }
  if (s != NATS_OK) return to_status(s, "nats: consumer " + durable + " of " + stream, jerr);
  const bool push = ci->Config && ci->Config->DeliverSubject && *ci->Config->DeliverSubject;
  jsConsumerInfo_Destroy(ci);
  if (push) return Status::invalid("nats: consumer " + durable + " of " + stream + " is a push consumer");
  auto impl = std::make_unique<LogConsumer::Impl>();
  impl->retired = impl_->retired.get();
  impl->nc = impl_->nc;
  impl->next_subject = "$JS.API.CONSUMER.MSG.NEXT." + stream + "." + durable;
  natsInbox* inbox = nullptr;
  s = natsInbox_Create(&inbox);
  if (s == NATS_OK) {
    impl->inbox = inbox;
    natsInbox_Destroy(inbox);
    s = natsConnection_SubscribeSync(&impl->sub, impl_->nc, (impl->inbox + ".*").c_str());
  }
  if (s != NATS_OK) return to_status(s, "nats: subscribing " + durable + " to " + stream);
  return std::unique_ptr<LogConsumer>(new LogConsumer(std::move(impl)));
}

Status NatsClient::delete_consumer(const std::string& stream, const std::string& durable) {
  jsOptions jo = impl_->options();
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_DeleteConsumer(impl_->js, stream.c_str(), durable.c_str(), &jo, &jerr);
  if (s != NATS_OK && s != NATS_NOT_FOUND) return to_status(s, "nats: deleting consumer " + durable, jerr);
  return Status::ok();
}

// As natsSubscription_Fetch does: what earlier requests delivered late is
// returned first, without a request; otherwise a no-wait request takes what
// the consumer has now, and only if that is nothing, a waiting request
// (expiring just before the deadline) waits for the first messages until
// the batch is full or the time is up.
Result<std::vector<LogMessage>> LogConsumer::fetch(int max, int timeout_ms) {
  Impl& c = *impl_;
  c.last_ack.clear();
  std::vector<LogMessage> out;
  if (max <= 0) return out;
  natsMsg* m = nullptr;
  while (static_cast<int>(out.size()) < max && natsSubscription_NextMsg(&m, c.sub, 0) == NATS_OK) {
    if (!pull_status(m)) c.take(m, &out);  // a status here ends an older request
    natsMsg_Destroy(m);
  }
  if (!out.empty()) return out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  auto reply = c.request(max, 0, true);
  if (!reply) return reply.status();
  bool waiting = false;
  while (static_cast<int>(out.size()) < max) {
    const int64_t left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    natsStatus s = natsSubscription_NextMsg(&m, c.sub, left);
    if (s == NATS_TIMEOUT) break;
    if (s != NATS_OK) {
      if (!out.empty()) break;
      return to_status(s, "nats: fetch");
    }
    const char* code = pull_status(m);
    if (!code) {
      c.take(m, &out);
      natsMsg_Destroy(m);
      continue;
    }
    const bool current = *reply == natsMsg_GetSubject(m);
    const std::string status = std::string(code, std::min<size_t>(std::strlen(code), 3));
    std::string why = pull_status_text(m, code);
    natsMsg_Destroy(m);
    if (!current || status == "100") continue;  // an older request's end, or a heartbeat
    if (status == "404" || status == "408") {
      // No-wait found nothing: wait for the first messages.
      if (out.empty() && !waiting && left > 1) {
        waiting = true;
        reply = c.request(max, left >= 20 ? left - 10 : left, false);
        if (!reply) return reply.status();
        continue;
      }
      break;
    }
    if (!out.empty()) break;
    if (status == "503")
      return Status::io_error("nats: fetch from " + c.next_subject + ": no responders (JetStream not ready)");
    return Status::io_error("nats: fetch from " + c.next_subject + ": " + why);
  }
  return out;
}

Status LogConsumer::ack_fetched() {
  if (impl_->last_ack.empty()) return Status::ok();
  // Ack policy all: acknowledging the last message acknowledges the batch.
  natsStatus s = natsConnection_Publish(impl_->nc, impl_->last_ack.c_str(), "+ACK", 4);
  impl_->last_ack.clear();
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
