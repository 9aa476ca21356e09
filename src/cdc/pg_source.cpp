#include "meridian/cdc/pg_source.h"

#include <libpq-fe.h>
#include <sys/select.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include "meridian/cdc/pgoutput.h"

namespace meridian::cdc {
namespace {

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Conn = std::unique_ptr<PGconn, ConnDeleter>;
using Res = std::unique_ptr<PGresult, ResultDeleter>;

Result<Conn> connect(const std::string& dsn, bool replication) {
  const char* keys[] = {"dbname", replication ? "replication" : nullptr, nullptr};
  const char* vals[] = {dsn.c_str(), replication ? "database" : nullptr, nullptr};
  Conn c(PQconnectdbParams(keys, vals, 1));
  if (!c || PQstatus(c.get()) != CONNECTION_OK)
    return Status::io_error(std::string("postgres connect: ") + (c ? PQerrorMessage(c.get()) : "out of memory"));
  return c;
}

Result<Res> exec(PGconn* c, const std::string& sql, ExecStatusType want = PGRES_COMMAND_OK) {
  Res r(PQexec(c, sql.c_str()));
  ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != want && !(want == PGRES_COMMAND_OK && st == PGRES_TUPLES_OK))
    return Status::io_error("postgres: " + sql.substr(0, 80) + ": " + PQerrorMessage(c));
  return r;
}

std::string quote_ident(PGconn* c, const std::string& s) {
  char* q = PQescapeIdentifier(c, s.c_str(), s.size());
  std::string out = q ? q : "\"\"";
  PQfreemem(q);
  return out;
}
std::string quote_literal(PGconn* c, const std::string& s) {
  char* q = PQescapeLiteral(c, s.c_str(), s.size());
  std::string out = q ? q : "''";
  PQfreemem(q);
  return out;
}

std::pair<std::string, std::string> split_table(const std::string& t) {
  size_t dot = t.find('.');
  return {t.substr(0, dot), t.substr(dot + 1)};
}

}  // namespace

Json DeadLetter::to_json() const {
  Json j = Json::object();
  j.set("table", Json(table));
  j.set("key", key.empty() ? Json() : Json(key));
  j.set("lsn", Json(format_pg_lsn(lsn)));
  j.set("reason", Json(reason));
  return j;
}

Json PgSourceStatus::to_json() const {
  Json j = Json::object();
  j.set("state", Json(state));
  j.set("last_error", last_error.empty() ? Json() : Json(last_error));
  j.set("applied_lsn", Json(format_pg_lsn(applied_lsn)));
  j.set("flushed_lsn", Json(format_pg_lsn(flushed_lsn)));
  j.set("server_lsn", Json(format_pg_lsn(server_lsn)));
  j.set("lag_bytes", Json(lag_bytes));
  j.set("lag_seconds", Json(lag_seconds));
  j.set("snapshot_rows", Json(snapshot_rows));
  j.set("changes", Json(changes));
  j.set("reconnects", Json(reconnects));
  j.set("dead_letters", Json(dead_letters));
  Json last = Json::array();
  for (const auto& d : last_dead_letters) last.push(d.to_json());
  j.set("last_dead_letters", std::move(last));
  return j;
}

// One connection's life: set up, snapshot if needed, stream until an error
// or stop.
class PgSession {
 public:
  PgSession(PgSource& src) : src_(src), cfg_(src.cfg_), sink_(*src.sink_) {}

  Status run() {
    MERIDIAN_ASSIGN_OR_RETURN(sql_, connect(cfg_.dsn, false));
    MERIDIAN_ASSIGN_OR_RETURN(repl_, connect(cfg_.dsn, true));
    MERIDIAN_RETURN_IF_ERROR(load_geo_oids());
    MERIDIAN_RETURN_IF_ERROR(ensure_publication());
    MERIDIAN_ASSIGN_OR_RETURN(schema_, sink_.schema());
    MERIDIAN_ASSIGN_OR_RETURN(SourcePosition stored, sink_.stored_position());
    MERIDIAN_ASSIGN_OR_RETURN(bool slot_exists, slot_present());
    if (stored.empty() || !slot_exists) {
      MERIDIAN_RETURN_IF_ERROR(snapshot(slot_exists));
      MERIDIAN_ASSIGN_OR_RETURN(stored, sink_.stored_position());
    }
    applied_lsn_ = committed_lsn_ = stored.parts.empty() ? 0 : stored.parts[0];
    update([&](PgSourceStatus& s) { s.applied_lsn = applied_lsn_; s.flushed_lsn = committed_lsn_; });
    return stream();
  }

 private:
  template <typename F>
  void update(F f) {
    std::lock_guard<std::mutex> l(src_.mu_);
    f(src_.status_);
  }

  Status load_geo_oids() {
    MERIDIAN_ASSIGN_OR_RETURN(Res r, exec(sql_.get(), "SELECT oid FROM pg_type WHERE typname IN ('geometry','geography')",
                                          PGRES_TUPLES_OK));
    for (int i = 0; i < PQntuples(r.get()); ++i) geo_oids_.push_back(static_cast<uint32_t>(std::stoul(PQgetvalue(r.get(), i, 0))));
    return Status::ok();
  }

  Status ensure_publication() {
    auto [schema, table] = split_table(cfg_.table);
    MERIDIAN_ASSIGN_OR_RETURN(Res r, exec(sql_.get(), "SELECT 1 FROM pg_publication WHERE pubname = " +
                                                          quote_literal(sql_.get(), cfg_.publication), PGRES_TUPLES_OK));
    if (PQntuples(r.get()) > 0) return Status::ok();
    auto c = exec(sql_.get(), "CREATE PUBLICATION " + quote_ident(sql_.get(), cfg_.publication) + " FOR TABLE " +
                                  quote_ident(sql_.get(), schema) + "." + quote_ident(sql_.get(), table));
    return c.status();
  }

  Result<bool> slot_present() {
    MERIDIAN_ASSIGN_OR_RETURN(Res r, exec(sql_.get(), "SELECT 1 FROM pg_replication_slots WHERE slot_name = " +
                                                          quote_literal(sql_.get(), cfg_.slot), PGRES_TUPLES_OK));
    return PQntuples(r.get()) > 0;
  }

  // Creates the slot (dropping a stale one) and loads the table from its
  // exported snapshot; records the consistent point and commits.
  Status snapshot(bool slot_exists) {
    src_.set_state("snapshotting");
    if (slot_exists)
      MERIDIAN_RETURN_IF_ERROR(exec(sql_.get(), "SELECT pg_drop_replication_slot(" + quote_literal(sql_.get(), cfg_.slot) + ")",
                                    PGRES_TUPLES_OK).status());
    MERIDIAN_ASSIGN_OR_RETURN(Res slot, exec(repl_.get(), "CREATE_REPLICATION_SLOT " + quote_ident(repl_.get(), cfg_.slot) +
                                                              " LOGICAL pgoutput EXPORT_SNAPSHOT", PGRES_TUPLES_OK));
    if (PQntuples(slot.get()) != 1 || PQnfields(slot.get()) < 3) return Status::io_error("postgres: unexpected CREATE_REPLICATION_SLOT reply");
    MERIDIAN_ASSIGN_OR_RETURN(uint64_t point, parse_pg_lsn(PQgetvalue(slot.get(), 0, 1)));
    std::string snap = PQgetvalue(slot.get(), 0, 2);
    auto [schema, table] = split_table(cfg_.table);
    PGconn* c = sql_.get();
    MERIDIAN_RETURN_IF_ERROR(exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").status());
    MERIDIAN_RETURN_IF_ERROR(exec(c, "SET TRANSACTION SNAPSHOT " + quote_literal(c, snap)).status());
    MERIDIAN_RETURN_IF_ERROR(exec(c, "DECLARE meridian_snap NO SCROLL CURSOR FOR SELECT * FROM " + quote_ident(c, schema) +
                                         "." + quote_ident(c, table)).status());
    MERIDIAN_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotLoad> load, sink_.begin_snapshot());
    uint64_t rows = 0;
    for (;;) {
      if (src_.stopping()) return Status::io_error("stopped during the snapshot");
      MERIDIAN_ASSIGN_OR_RETURN(Res r, exec(c, "FETCH 2000 FROM meridian_snap", PGRES_TUPLES_OK));
      int n = PQntuples(r.get()), nf = PQnfields(r.get());
      if (n == 0) break;
      std::vector<Json> docs;
      for (int i = 0; i < n; ++i) {
        Json row = Json::object();
        Status bad;
        for (int f = 0; f < nf && bad.is_ok(); ++f) {
          if (PQgetisnull(r.get(), i, f)) continue;
          auto v = pg_text_to_json(PQgetvalue(r.get(), i, f), PQftype(r.get(), f), geo_oids_);
          if (!v) bad = v.status().with_context(std::string("column ") + PQfname(r.get(), f));
          else row.set(PQfname(r.get(), f), std::move(*v));
        }
        if (bad.is_ok()) {
          auto d = cfg_.mapping.to_document(row, schema_->id_field());
          if (d) {
            docs.push_back(std::move(*d));
            continue;
          }
          bad = d.status();
        }
        dead_letter(row, point, bad);
      }
      auto results = load->put(docs);
      for (size_t k = 0; k < results.size(); ++k) {
        if (results[k].is_ok()) continue;
        if (results[k].code() == Status::Code::kIOError) return results[k].with_context("snapshot");
        dead_letter(docs[k], point, results[k]);
      }
      rows += static_cast<uint64_t>(n);
      update([&](PgSourceStatus& s) { s.snapshot_rows = rows; });
    }
    MERIDIAN_RETURN_IF_ERROR(exec(c, "COMMIT").status());
    MERIDIAN_RETURN_IF_ERROR(load->finish(SourcePosition{{point, 0}}));
    return Status::ok();
  }

  // Records a row that cannot become a document and goes on.
  void dead_letter(const Json& row, uint64_t lsn, const Status& why) {
    DeadLetter d;
    d.table = cfg_.table;
    if (auto id = cfg_.mapping.row_id(row); id.is_ok()) d.key = *id;
    d.lsn = lsn;
    d.reason = why.message();
    src_.add_dead_letter(std::move(d));
  }

  Status send_feedback(bool reply = false) {
    std::string m = encode_standby_status(applied_lsn_, committed_lsn_, committed_lsn_, now_us(), reply);
    if (PQputCopyData(repl_.get(), m.data(), static_cast<int>(m.size())) != 1 || PQflush(repl_.get()) != 0)
      return Status::io_error(std::string("postgres: feedback: ") + PQerrorMessage(repl_.get()));
    last_feedback_us_ = now_us();
    return Status::ok();
  }

  Status commit_and_feedback() {
    if (applied_lsn_ > committed_lsn_) {
      MERIDIAN_RETURN_IF_ERROR(sink_.flush());
      committed_lsn_ = applied_lsn_;
    }
    MERIDIAN_RETURN_IF_ERROR(send_feedback());
    update([&](PgSourceStatus& s) { s.flushed_lsn = committed_lsn_; });
    return Status::ok();
  }

  Result<Json> tuple_json(const PgRelation& rel, const PgTuple& t, bool* unchanged_toast) {
    Json row = Json::object();
    for (size_t i = 0; i < t.size() && i < rel.columns.size(); ++i) {
      if (t[i].kind == 'u') *unchanged_toast = true;
      if (t[i].kind != 't') continue;
      auto v = pg_text_to_json(t[i].text, rel.columns[i].type_oid, geo_oids_);
      if (!v) return v.status().with_context("column " + rel.columns[i].name);
      row.set(rel.columns[i].name, std::move(*v));
    }
    return row;
  }

  Status on_message(const PgMessage& m) {
    using K = PgMessage::Kind;
    switch (m.kind) {
      case K::kBegin:
        txn_.clear();
        txn_rows_.clear();
        txn_dead_.clear();
        in_txn_ = true;
        txn_ts_us_ = m.timestamp_us;
        return Status::ok();
      case K::kRelation:
        relations_[m.relation.id] = m.relation;
        return Status::ok();
      case K::kInsert: case K::kUpdate: case K::kDelete: {
        auto it = relations_.find(m.relation_id);
        if (it == relations_.end()) return Status::io_error("pgoutput: change for an unknown relation");
        const PgRelation& rel = it->second;
        if (rel.schema + "." + rel.table != cfg_.table) return Status::ok();
        RowChange c;
        Json row;
        Status st = to_change(m, rel, &c, &row);
        if (st.is_ok()) {
          txn_.push_back(std::move(c));
          txn_rows_.push_back(std::move(row));
        } else if (st.code() == Status::Code::kIOError) {
          return st;
        } else {
          txn_dead_.emplace_back(std::move(row), st);  // recorded at the commit, with its LSN
        }
        return Status::ok();
      }
      case K::kTruncate:
        for (uint32_t id : m.truncated) {
          auto it = relations_.find(id);
          if (it != relations_.end() && it->second.schema + "." + it->second.table == cfg_.table) {
            RowChange c;
            c.kind = ChangeKind::kTruncate;
            txn_.push_back(std::move(c));
            txn_rows_.emplace_back();
          }
        }
        return Status::ok();
      case K::kCommit:
        in_txn_ = false;
        return on_commit(m);
      case K::kIgnored:
        return Status::ok();
    }
    return Status::ok();
  }

  // One decoded row change as a RowChange; *row gets what could be read of
  // the row (for a dead letter's key).
  Status to_change(const PgMessage& m, const PgRelation& rel, RowChange* c, Json* row) {
    using K = PgMessage::Kind;
    bool toast = false;
    if (m.kind == K::kDelete) {
      MERIDIAN_ASSIGN_OR_RETURN(*row, tuple_json(rel, *m.old_tuple, &toast));
      MERIDIAN_ASSIGN_OR_RETURN(c->id, cfg_.mapping.row_id(*row));
      c->kind = ChangeKind::kDelete;
      return Status::ok();
    }
    MERIDIAN_ASSIGN_OR_RETURN(*row, tuple_json(rel, m.new_tuple, &toast));
    if (m.old_tuple) {
      bool t2 = false;
      auto old = tuple_json(rel, *m.old_tuple, &t2);
      if (old)
        if (auto oid = cfg_.mapping.row_id(*old); oid.is_ok()) c->old_id = *oid;
    }
    MERIDIAN_ASSIGN_OR_RETURN(c->id, cfg_.mapping.row_id(*row));
    if (c->old_id == c->id) c->old_id.clear();
    MERIDIAN_ASSIGN_OR_RETURN(c->doc, cfg_.mapping.to_document(*row, schema_->id_field()));
    if (toast) MERIDIAN_RETURN_IF_ERROR(sink_.keep_unchanged(c));
    c->kind = ChangeKind::kUpsert;
    return Status::ok();
  }

  Status on_commit(const PgMessage& m) {
    // Rows that could not be mapped, and documents the index would reject (a
    // type that conflicts with the schema), become dead letters at the
    // transaction's commit LSN (the position of its changes) instead of
    // failing the transaction.
    for (const auto& [row, why] : txn_dead_) dead_letter(row, m.end_lsn, why);
    txn_dead_.clear();
    if (!txn_.empty()) {
      auto errors = sink_.validate(txn_);
      if (!errors.empty()) {
        std::vector<bool> drop(txn_.size(), false);
        for (const auto& e : errors) {
          if (e.index >= txn_.size() || drop[e.index]) continue;
          drop[e.index] = true;
          dead_letter(txn_rows_[e.index], m.end_lsn, Status::invalid(e.message));
        }
        std::vector<RowChange> kept;
        for (size_t i = 0; i < txn_.size(); ++i)
          if (!drop[i]) kept.push_back(std::move(txn_[i]));
        txn_ = std::move(kept);
      }
    }
    if (!txn_.empty()) {
      for (size_t i = 0; i < txn_.size(); ++i) {
        txn_[i].source = cfg_.position_key();
        txn_[i].position = SourcePosition{{m.end_lsn, i + 1}};
      }
      Status r = sink_.apply(txn_);
      if (!r) return r.with_context("applying the transaction ending at " + format_pg_lsn(m.end_lsn));
      update([&](PgSourceStatus& s) { s.changes += txn_.size(); });
      txn_.clear();
    }
    applied_lsn_ = std::max(applied_lsn_, m.end_lsn);
    last_commit_ts_us_ = m.timestamp_us;
    update([&](PgSourceStatus& s) {
      s.applied_lsn = applied_lsn_;
      s.server_lsn = std::max(s.server_lsn, applied_lsn_);
      s.lag_bytes = s.server_lsn > applied_lsn_ ? s.server_lsn - applied_lsn_ : 0;
      s.lag_seconds = std::max(0.0, static_cast<double>(now_us() - m.timestamp_us) / 1e6);
    });
    return Status::ok();
  }

  Status stream() {
    std::string cmd = "START_REPLICATION SLOT " + quote_ident(repl_.get(), cfg_.slot) + " LOGICAL " +
                      format_pg_lsn(applied_lsn_) + " (proto_version '1', publication_names " +
                      quote_literal(repl_.get(), cfg_.publication) + ")";
    MERIDIAN_RETURN_IF_ERROR(exec(repl_.get(), cmd, PGRES_COPY_BOTH).status());
    src_.set_state("streaming");
    int64_t last_commit_us = now_us();
    while (!src_.stopping()) {
      char* buf = nullptr;
      int n = PQgetCopyData(repl_.get(), &buf, 1);
      if (n == 0) {
        int sock = PQsocket(repl_.get());
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(sock, &fds);
        timeval tv{0, 100000};
        if (select(sock + 1, &fds, nullptr, nullptr, &tv) < 0 && errno != EINTR)
          return Status::from_errno("postgres: select", errno);
        if (PQconsumeInput(repl_.get()) == 0)
          return Status::io_error(std::string("postgres: ") + PQerrorMessage(repl_.get()));
      } else if (n == -1) {
        Res r(PQgetResult(repl_.get()));
        return Status::io_error(std::string("postgres: replication stream ended: ") + PQerrorMessage(repl_.get()));
      } else if (n < -1) {
        return Status::io_error(std::string("postgres: ") + PQerrorMessage(repl_.get()));
      } else {
        std::string data(buf, static_cast<size_t>(n));
        PQfreemem(buf);
        MERIDIAN_ASSIGN_OR_RETURN(ReplicationFrame f, decode_replication_frame(data));
        update([&](PgSourceStatus& s) { s.server_lsn = std::max(s.server_lsn, f.wal_end); });
        if (f.kind == ReplicationFrame::Kind::kXLogData) {
          MERIDIAN_ASSIGN_OR_RETURN(PgMessage m, decode_pgoutput(f.data));
          MERIDIAN_RETURN_IF_ERROR(on_message(m));
        } else {
          bool advanced = false;
          if (!in_txn_) {
            // A keepalive outside a transaction: the server has sent
            // everything up to wal_end. When all we applied is also
            // committed, nothing before wal_end is pending here, so the
            // slot may move there (PostgreSQL's own apply worker confirms
            // the same way). Otherwise an idle published table would pin
            // the server's WAL forever and hold up its fast shutdown.
            if (applied_lsn_ == committed_lsn_ && f.wal_end > committed_lsn_) {
              applied_lsn_ = committed_lsn_ = f.wal_end;
              advanced = true;
            }
            update([&](PgSourceStatus& s) {
              // Caught up: everything up to wal_end was sent and applied.
              s.lag_bytes = 0;
              s.lag_seconds = 0;
              s.applied_lsn = applied_lsn_;
              s.flushed_lsn = committed_lsn_;
            });
          }
          if (f.reply_requested || advanced) MERIDIAN_RETURN_IF_ERROR(send_feedback());
        }
      }
      int64_t now = now_us();
      if (applied_lsn_ > committed_lsn_ && now - last_commit_us >= 1000000) {
        MERIDIAN_RETURN_IF_ERROR(commit_and_feedback());
        last_commit_us = now;
      } else if (now - last_feedback_us_ >= 10000000) {
        MERIDIAN_RETURN_IF_ERROR(send_feedback());
      }
      if (!in_txn_ && applied_lsn_ == committed_lsn_)
        update([&](PgSourceStatus& s) {
          if (s.server_lsn <= applied_lsn_) { s.lag_bytes = 0; s.lag_seconds = 0; }
        });
    }
    // Stopping: make what was applied durable and tell the server.
    return commit_and_feedback();
  }

  PgSource& src_;
  const SourceConfig& cfg_;
  ChangeSink& sink_;
  std::shared_ptr<const index::Schema> schema_;  // the sink's, read at the session's start
  Conn sql_, repl_;
  std::vector<uint32_t> geo_oids_;
  std::map<uint32_t, PgRelation> relations_;
  std::vector<RowChange> txn_;
  std::vector<Json> txn_rows_;       // the row of each change in txn_ (dead letters)
  std::vector<std::pair<Json, Status>> txn_dead_;  // rows of the transaction that could not be mapped
  bool in_txn_ = false;
  int64_t txn_ts_us_ = 0, last_commit_ts_us_ = 0, last_feedback_us_ = 0;
  uint64_t applied_lsn_ = 0, committed_lsn_ = 0;
};

PgSource::PgSource(SourceConfig cfg, std::shared_ptr<index::Index> ix)
    : PgSource(cfg, std::make_unique<IndexSink>(std::move(ix), cfg.position_key(), cfg.name)) {}

PgSource::PgSource(SourceConfig cfg, std::unique_ptr<ChangeSink> sink) : cfg_(std::move(cfg)), sink_(std::move(sink)) {}

PgSource::~PgSource() { stop(); }

void PgSource::start() {
  if (worker_.joinable()) return;
  stop_ = false;
  worker_ = std::thread([this] { run(); });
}

void PgSource::stop() {
  stop_ = true;
  wait_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  set_state("stopped");
}

PgSourceStatus PgSource::status() const {
  std::lock_guard<std::mutex> l(mu_);
  return status_;
}

void PgSource::set_state(const std::string& s) {
  std::lock_guard<std::mutex> l(mu_);
  status_.state = s;
}

void PgSource::set_error(const std::string& e) {
  std::lock_guard<std::mutex> l(mu_);
  status_.state = "error";
  status_.last_error = e;
}

void PgSource::add_dead_letter(DeadLetter d) {
  Json line = Json::object();
  line.set("level", Json("warn"));
  line.set("event", Json("cdc_dead_letter"));
  line.set("index", Json(cfg_.index));
  line.set("source", Json(cfg_.name));
  const Json fields = d.to_json();
  for (const auto& [k, v] : fields.as_object()) line.set(k, v);
  std::string text = line.dump() + "\n";
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::lock_guard<std::mutex> l(mu_);
  status_.dead_letters++;
  auto& last = status_.last_dead_letters;
  last.push_back(std::move(d));
  if (last.size() > PgSourceStatus::kMaxDeadLetters) last.erase(last.begin());
}

void PgSource::run() {
  double backoff = 0.2;
  while (!stopping()) {
    auto started = std::chrono::steady_clock::now();
    Status st;
    {
      PgSession session(*this);
      st = session.run();
    }
    if (stopping()) break;
    set_error(st.is_ok() ? "replication stream ended" : st.message());
    {
      std::lock_guard<std::mutex> l(mu_);
      status_.reconnects++;
    }
    if (std::chrono::steady_clock::now() - started > std::chrono::seconds(30)) backoff = 0.2;
    std::unique_lock<std::mutex> l(wait_mu_);
    wait_cv_.wait_for(l, std::chrono::duration<double>(backoff), [&] { return stopping(); });
    backoff = std::min(10.0, backoff * 2);
  }
}

Status PgSource::drop_slot(const SourceConfig& cfg, std::chrono::milliseconds wait) {
  MERIDIAN_ASSIGN_OR_RETURN(Conn c, connect(cfg.dsn, false));
  const std::string sql = "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = " +
                          quote_literal(c.get(), cfg.slot);
  // Just after a source stops, the server's walsender may not have exited
  // yet and the slot is still "active": wait for it (`wait` at most), never
  // terminate it (another consumer may hold the slot).
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    auto r = exec(c.get(), sql, PGRES_TUPLES_OK);
    if (r) return Status::ok();
    if (r.status().message().find("is active") == std::string::npos || std::chrono::steady_clock::now() >= deadline)
      return r.status();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace meridian::cdc
