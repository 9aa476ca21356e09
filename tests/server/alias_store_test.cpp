#include "meridian/server/alias_store.h"

#include <doctest/doctest.h>

#include <set>

using namespace meridian;
using namespace meridian::server;

namespace {

AliasAction put(std::string alias, std::string index) { return {AliasAction::Kind::kAdd, std::move(alias), std::move(index)}; }
AliasAction drop(std::string alias) { return {AliasAction::Kind::kRemove, std::move(alias), ""}; }

std::function<bool(const std::string&)> in(std::set<std::string> names) {
  return [names = std::move(names)](const std::string& n) { return names.count(n) > 0; };
}

}  // namespace

TEST_CASE("alias rules: an index name is never an alias; the node's own alias hides a cluster alias of its name") {
  CHECK(classify_name(true, true, true) == NameKind::kIndex);
  CHECK(classify_name(false, true, true) == NameKind::kNodeAlias);
  CHECK(classify_name(false, false, true) == NameKind::kClusterAlias);
  CHECK(classify_name(false, false, false) == NameKind::kUnknown);
  // What GET /v1/aliases lists on a node that has an index "logs" and its own alias "live".
  AliasMap node{{"live", "local_v1"}}, cluster{{"live", "books"}, {"logs", "books"}, {"search", "books"}};
  CHECK(effective_aliases(node, cluster, in({"logs", "local_v1"})) ==
        AliasMap{{"live", "local_v1"}, {"search", "books"}});
}

TEST_CASE("alias rules: a request goes to the store of its targets; one spanning both stores is refused") {
  auto clustered = in({"books", "books_v2"});
  AliasMap node{{"mine", "local"}}, cluster{{"live", "books"}};
  CHECK(*alias_store_for({put("x", "books")}, clustered, node, cluster) == NameKind::kClusterAlias);
  CHECK(*alias_store_for({put("x", "local")}, clustered, node, cluster) == NameKind::kNodeAlias);
  CHECK(*alias_store_for({put("x", "nowhere")}, clustered, node, cluster) == NameKind::kNodeAlias);  // its 404 there
  CHECK(*alias_store_for({drop("live"), put("live", "books_v2")}, clustered, node, cluster) == NameKind::kClusterAlias);
  CHECK(*alias_store_for({drop("mine")}, clustered, node, cluster) == NameKind::kNodeAlias);
  CHECK(*alias_store_for({drop("unknown")}, clustered, node, cluster) == NameKind::kNodeAlias);  // its 404 there
  auto mixed = alias_store_for({put("x", "books"), put("y", "local")}, clustered, node, cluster);
  CHECK(mixed.status().code() == Status::Code::kInvalidArgument);
  CHECK(mixed.status().message().find("actions[1]") != std::string::npos);
  // A name taken in the other store: remove it first.
  CHECK(alias_store_for({put("mine", "books")}, clustered, node, cluster).status().code() == Status::Code::kAlreadyExists);
  CHECK(alias_store_for({put("live", "local")}, clustered, node, cluster).status().code() == Status::Code::kAlreadyExists);
  // Moving the node's own alias that already hides a cluster alias is allowed.
  AliasMap both{{"live", "local"}};
  CHECK(*alias_store_for({put("live", "local2")}, clustered, both, cluster) == NameKind::kNodeAlias);
}

TEST_CASE("alias store: applied() is all or nothing and names the failing action") {
  AliasNames names{in({"a", "b", "books"}), in({"a", "b"})};
  auto r = AliasStore::applied({{"x", "a"}}, {drop("x"), put("x", "b"), put("y", "a")}, names);
  REQUIRE(r.is_ok());
  CHECK(*r == AliasMap{{"x", "b"}, {"y", "a"}});
  // An alias may not take an index's name, even one this store cannot point to.
  auto e = AliasStore::applied({}, {put("z", "a"), put("books", "a")}, names);
  CHECK(e.status().code() == Status::Code::kAlreadyExists);
  CHECK(e.status().message().rfind("actions[1]", 0) == 0);
  CHECK(AliasStore::applied({}, {put("z", "books")}, names).status().code() == Status::Code::kNotFound);
  CHECK(AliasStore::applied({}, {drop("z")}, names).status().code() == Status::Code::kNotFound);
  CHECK(AliasStore::applied({{"x", "a"}}, {AliasAction{AliasAction::Kind::kRemove, "x", "b"}}, names).status().code() ==
        Status::Code::kInvalidArgument);
  CHECK(AliasStore::applied({}, {put("bad/name", "a")}, names).status().code() == Status::Code::kInvalidArgument);
}
