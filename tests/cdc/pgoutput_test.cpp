#include <doctest/doctest.h>

#include "meridian/cdc/pgoutput.h"

using namespace meridian;
using namespace meridian::cdc;

namespace {

// Builds big-endian protocol messages the way PostgreSQL's pgoutput does.
struct Msg {
  std::string b;
  Msg& c(char x) { b.push_back(x); return *this; }
  Msg& u16(uint16_t v) { for (int i = 1; i >= 0; --i) b.push_back(static_cast<char>(v >> (8 * i))); return *this; }
  Msg& u32(uint32_t v) { for (int i = 3; i >= 0; --i) b.push_back(static_cast<char>(v >> (8 * i))); return *this; }
  Msg& u64(uint64_t v) { for (int i = 7; i >= 0; --i) b.push_back(static_cast<char>(v >> (8 * i))); return *this; }
  Msg& str(const std::string& s) { b += s; b.push_back('\0'); return *this; }
  Msg& text(const std::string& s) { c('t'); u32(static_cast<uint32_t>(s.size())); b += s; return *this; }
};

}  // namespace

TEST_CASE("pgoutput: Begin, Relation, Insert, Update with old key, Delete, Truncate, Commit decode") {
  auto begin = decode_pgoutput(Msg().c('B').u64(0x100).u64(1000000).u32(77).b);
  REQUIRE(begin.is_ok());
  CHECK(begin->kind == PgMessage::Kind::kBegin);
  CHECK(begin->lsn == 0x100);
  CHECK(begin->xid == 77);
  CHECK(begin->timestamp_us == 1000000 + kPgEpochOffsetUs);

  Msg rel;
  rel.c('R').u32(16384).str("public").str("items").c('d').u16(3);
  rel.c(1).str("id").u32(pgtype::kInt4).u32(0xffffffff);
  rel.c(0).str("name").u32(pgtype::kText).u32(0xffffffff);
  rel.c(0).str("geom").u32(99999).u32(0xffffffff);
  auto r = decode_pgoutput(rel.b);
  REQUIRE(r.is_ok());
  CHECK(r->relation.table == "items");
  REQUIRE(r->relation.columns.size() == 3);
  CHECK(r->relation.columns[0].key);
  CHECK_FALSE(r->relation.columns[1].key);
  CHECK(r->relation.columns[2].type_oid == 99999);

  auto ins = decode_pgoutput(Msg().c('I').u32(16384).c('N').u16(3).text("1").text("a").c('n').b);
  REQUIRE(ins.is_ok());
  CHECK(ins->kind == PgMessage::Kind::kInsert);
  REQUIRE(ins->new_tuple.size() == 3);
  CHECK(ins->new_tuple[1].text == "a");
  CHECK(ins->new_tuple[2].kind == 'n');

  auto upd = decode_pgoutput(Msg().c('U').u32(16384).c('K').u16(3).text("1").c('n').c('n')
                                 .c('N').u16(3).text("2").text("b").c('u').b);
  REQUIRE(upd.is_ok());
  CHECK(upd->old_kind == 'K');
  CHECK((*upd->old_tuple)[0].text == "1");
  CHECK(upd->new_tuple[0].text == "2");
  CHECK(upd->new_tuple[2].kind == 'u');

  auto plain_upd = decode_pgoutput(Msg().c('U').u32(16384).c('N').u16(1).text("2").b);
  REQUIRE(plain_upd.is_ok());
  CHECK_FALSE(plain_upd->old_tuple.has_value());

  auto del = decode_pgoutput(Msg().c('D').u32(16384).c('K').u16(3).text("2").c('n').c('n').b);
  REQUIRE(del.is_ok());
  CHECK(del->kind == PgMessage::Kind::kDelete);
  CHECK((*del->old_tuple)[0].text == "2");

  auto tr = decode_pgoutput(Msg().c('T').u32(2).c(1).u32(16384).u32(16390).b);
  REQUIRE(tr.is_ok());
  CHECK(tr->truncated == std::vector<uint32_t>{16384, 16390});
  CHECK(tr->truncate_cascade);

  auto com = decode_pgoutput(Msg().c('C').c(0).u64(0x100).u64(0x130).u64(5).b);
  REQUIRE(com.is_ok());
  CHECK(com->kind == PgMessage::Kind::kCommit);
  CHECK(com->end_lsn == 0x130);
  CHECK(decode_pgoutput(Msg().c('O').u64(1).str("origin").b)->kind == PgMessage::Kind::kIgnored);
}

TEST_CASE("pgoutput: every truncation of a message is an error, never a crash") {
  std::vector<std::string> msgs = {
      Msg().c('B').u64(1).u64(2).u32(3).b,
      Msg().c('C').c(0).u64(1).u64(2).u64(3).b,
      Msg().c('I').u32(1).c('N').u16(2).text("12345").c('n').b,
      Msg().c('U').u32(1).c('O').u16(1).text("x").c('N').u16(1).text("y").b,
      Msg().c('D').u32(1).c('K').u16(1).text("x").b,
      Msg().c('T').u32(2).c(0).u32(1).u32(2).b,
      Msg().c('R').u32(1).str("s").str("t").c('d').u16(1).c(1).str("id").u32(23).u32(0).b,
  };
  for (const auto& m : msgs) {
    REQUIRE(decode_pgoutput(m).is_ok());
    for (size_t n = 0; n < m.size(); ++n) CHECK_FALSE(decode_pgoutput(m.substr(0, n)).is_ok());
  }
  CHECK_FALSE(decode_pgoutput("Z").is_ok());
  CHECK_FALSE(decode_pgoutput(Msg().c('I').u32(1).c('X').b).is_ok());
  CHECK_FALSE(decode_pgoutput(Msg().c('I').u32(1).c('N').u16(1).c('t').u32(0x7fffffff).b).is_ok());
  CHECK_FALSE(decode_pgoutput(Msg().c('T').u32(0xffffffff).c(0).b).is_ok());
}

TEST_CASE("pgoutput: replication frames and the standby status update") {
  std::string frame = Msg().c('w').u64(10).u64(20).u64(30).c('B').b;  // data points into it
  auto w = decode_replication_frame(frame);
  REQUIRE(w.is_ok());
  CHECK(w->kind == ReplicationFrame::Kind::kXLogData);
  CHECK(w->wal_start == 10);
  CHECK(w->wal_end == 20);
  CHECK(w->data == "B");
  auto k = decode_replication_frame(Msg().c('k').u64(99).u64(5).c(1).b);
  REQUIRE(k.is_ok());
  CHECK(k->reply_requested);
  CHECK(k->wal_end == 99);
  CHECK_FALSE(decode_replication_frame(Msg().c('k').u64(99).b).is_ok());
  CHECK_FALSE(decode_replication_frame("q").is_ok());
  // A send time past int64 once moved to the Unix epoch (found by fuzzing).
  CHECK_FALSE(decode_replication_frame(Msg().c('k').u64(99).u64(0x7fffffffffffff00ULL).c(1).b).is_ok());
  CHECK_FALSE(decode_replication_frame(Msg().c('w').u64(1).u64(2).u64(0x7fffffffffffff00ULL).b).is_ok());
  CHECK_FALSE(decode_pgoutput(Msg().c('B').u64(1).u64(0x7fffffffffffff00ULL).u32(7).b).is_ok());
  std::string s = encode_standby_status(1, 2, 3, kPgEpochOffsetUs + 7, true);
  CHECK(s == Msg().c('r').u64(1).u64(2).u64(3).u64(7).c(1).b);
}

TEST_CASE("pgoutput: text values become JSON by column type") {
  std::vector<uint32_t> geo = {99999};
  CHECK(*pg_text_to_json("t", pgtype::kBool, geo) == Json(true));
  CHECK(*pg_text_to_json("-42", pgtype::kInt8, geo) == Json(int64_t{-42}));
  CHECK(*pg_text_to_json("12.50", pgtype::kNumeric, geo) == Json(12.5));
  CHECK(pg_text_to_json("NaN", pgtype::kNumeric, geo)->is_null());
  CHECK(*pg_text_to_json("2024-05-01 12:30:00.25+02", pgtype::kTimestampTz, geo) == Json("2024-05-01T12:30:00.25+02:00"));
  CHECK(*pg_text_to_json("2024-05-01 12:30:00", pgtype::kTimestamp, geo) == Json("2024-05-01T12:30:00Z"));
  CHECK(*pg_text_to_json("2024-05-01", pgtype::kDate, geo) == Json("2024-05-01"));
  CHECK(*pg_text_to_json(R"({"a": [1]})", pgtype::kJsonb, geo) == *parse_json(R"({"a":[1]})"));
  CHECK(*pg_text_to_json("{1,2,NULL,3}", pgtype::kInt4Array, geo) == *parse_json("[1,2,3]"));
  CHECK(*pg_text_to_json(R"({a,"b c","x\"y",NULL})", pgtype::kTextArray, geo) == *parse_json(R"(["a","b c","x\"y"])"));
  CHECK(*pg_text_to_json("{}", pgtype::kTextArray, geo) == Json::array());
  CHECK(*pg_text_to_json("hello", pgtype::kText, geo) == Json("hello"));
  auto p = pg_text_to_json("0101000020E6100000A835CD3B4ED1024076E09C11A56D4840", 99999, geo);
  REQUIRE(p.is_ok());
  CHECK(p->find("lat")->as_double() == doctest::Approx(48.8566));
  CHECK_FALSE(pg_text_to_json("12x", pgtype::kInt4, geo).is_ok());
  CHECK_FALSE(pg_text_to_json("{{1},{2}}", pgtype::kInt4Array, geo).is_ok());
  CHECK_FALSE(pg_text_to_json("{\"open", pgtype::kTextArray, geo).is_ok());
  CHECK_FALSE(pg_text_to_json("00", 99999, geo).is_ok());
}
