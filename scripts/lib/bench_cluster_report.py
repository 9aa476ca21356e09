"""The results of the `cluster` suite (scripts/lib/bench_cluster.py): summary rows, the
side-by-side table (1 node vs the 3-node cluster) printed and written to cluster.md, notes."""
from bench_soak import pct


def f(v, digits=1):
    if v is None:
        return "—"
    if isinstance(v, float):
        return ("%%.%df" % digits) % v
    return str(v)


def side_by_side(single, cl, args, top_equal, n_queries):
    """Rows (metric, 1 node, cluster)."""
    si, ci = single["ingest"], cl["ingest"]
    ss, cs = single["search"], cl["search"]
    lag = cl["lag"]
    lags = lag["lags"]
    per_shard_rate = lag["achieved_docs_per_s"] / float(args.cluster_shards)
    rows = [
        ("documents ingested (bulk of %d, %d clients)" % (args.cluster_batch, args.cluster_clients),
         f(si["docs"]), f(ci["docs"])),
        ("ingest, acknowledged: docs/s", f(si["acked_docs_per_s"], 0), f(ci["acked_docs_per_s"], 0)),
        ("ingest, all searchable: docs/s", f(si["searchable_docs_per_s"], 0), f(ci["searchable_docs_per_s"], 0)),
        ("ingest: last ack to all searchable, s", f(si["ack_to_searchable_s"], 2), f(ci["ack_to_searchable_s"], 2)),
        ("ingest: machine busy (both cores), %", f(si["machine_busy_pct"], 0), f(ci["machine_busy_pct"], 0)),
        ("ingest: CPU s meridian / nats-server", f(si["cpu_s"]["meridian"]),
         "%s / %s" % (f(ci["cpu_s"]["meridian"]), f(ci["cpu_s"]["nats"]))),
        ("search p50, ms (%d queries x %d passes, size %d)" % (n_queries, args.cluster_passes, args.cluster_k),
         f(ss["p50_ms"], 2), f(cs["p50_ms"], 2)),
        ("search p99, ms", f(ss["p99_ms"], 2), f(cs["p99_ms"], 2)),
        ("search: queries/s on one connection", f(ss["queries_per_s"], 0), f(cs["queries_per_s"], 0)),
        ("search: errors or failed shards", f(ss["errors"]), f(cs["errors"])),
        ("search: top-%d ids and scores equal to 1 node" % args.cluster_k, "—", "%d / %d" % (top_equal, n_queries)),
        ("steady write load: docs/s asked / acknowledged (bulk of %d, %d s)" % (
            args.cluster_write_batch, args.cluster_lag_duration), "—",
         "%d / %.0f" % (args.cluster_rate, lag["achieved_docs_per_s"])),
        ("  its bulk requests p50 / p99, ms", "—", "%s / %s" % (f(lag["bulk_p50_ms"], 0), f(lag["bulk_p99_ms"], 0))),
        ("replica lag p50 / p99 / max, records", "—",
         "%s / %s / %s" % (pct(lags, 50), pct(lags, 99), lags[-1] if lags else None)),
        ("replica lag p50 / p99 as time at %.0f records/s per shard, ms" % per_shard_rate, "—",
         "%s / %s" % (f(pct(lags, 50) and 1000.0 * pct(lags, 50) / per_shard_rate, 0),
                      f(pct(lags, 99) and 1000.0 * pct(lags, 99) / per_shard_rate, 0))),
    ]
    for k in cl["kills"]:
        rows.append(("SIGKILL n2, down %s s (backlog %d docs): restart -> HTTP up, s" % (k["down_s"], k["backlog_docs"]),
                     "—", f(k["restart_to_http_s"], 2)))
        rows.append(("  restart -> n2's replicas in_sync, lag 0, s", "—", f(k["restart_to_own_replicas_in_sync_s"], 2)))
        rows.append(("  restart -> every replica in_sync, placement as before, s", "—",
                     f(k["restart_to_all_in_sync_s"], 2)))
    fin = cl["final"]
    rows.append(("acknowledged writes searchable through every node", "—", "%s (acked %d, counts %s)" % (
        "yes" if all(c is not None and c >= fin["acked_total"] for c in fin["count_by_node"].values()) else "NO",
        fin["acked_total"], "/".join(str(c) for c in fin["count_by_node"].values()))))
    return rows


def table_lines(rows, cluster_label):
    out = ["| metric | 1 node | %s |" % cluster_label, "|---|---:|---:|"]
    out += ["| %s | %s | %s |" % r for r in rows]
    return out


def text_table(rows, cluster_label):
    w0 = max(len(r[0]) for r in rows + [("metric", "", "")])
    w1 = max(len(r[1]) for r in rows + [("", "1 node", "")])
    out = ["%-*s  %*s  %s" % (w0, "metric", w1, "1 node", cluster_label)]
    out += ["%-*s  %*s  %s" % (w0, r[0], w1, r[1], r[2]) for r in rows]
    return out


def fill(res, single, cl, args, top_equal, n_queries, dataset_kind, loads):
    label = "3-node cluster (%d shards x %d replicas, 3 nats-servers)" % (args.cluster_shards, args.cluster_replicas)
    rows = side_by_side(single, cl, args, top_equal, n_queries)
    for metric, a, b in rows:
        res.add("1 node", metric, a)
        res.add("cluster", metric, b)
    res.extra_md = ["", "Side by side (same run, same documents, same queries, same k):", ""] + table_lines(rows, label)
    res.runs.append({"side": "1 node", **single})
    lag = dict(cl["lag"])
    lag["samples_by_state"] = {}
    for s in lag["samples"]:
        lag["samples_by_state"][s[4]] = lag["samples_by_state"].get(s[4], 0) + 1
    res.runs.append({"side": "cluster", **dict(cl, lag=lag)})
    res.notes += [
        "This machine has 2 cores shared with other work: the single node, the three Meridian nodes, the "
        "three nats-servers and the load generator all run on them, so a loopback cluster cannot show "
        "scale-out; it shows the cost of replication (every document published to a 3-way replicated "
        "JetStream stream and applied by %d replicas) and of the router's fan-out "
        "(two phases per shard: statistics, then search)." % args.cluster_replicas,
        "Dataset: %s. Load averages (1/5/15 min) at the start and end: %s." % (dataset_kind, " -> ".join(loads)),
        "Single node: `meridian serve` without cluster flags; ingest then POST .../refresh; searchable = "
        "a match-all count equals the documents. Cluster: writes answer after JetStream's publish ack; "
        "searchable = every replica in_sync at lag 0 (each node's own replicas in its GET /v1/cluster) "
        "and the count right through every node.",
        "Replica lag = stream last sequence - applied sequence, read every %.1f s from each node's "
        "GET /v1/cluster for that node's own replicas (both live there). One record = one document. "
        "The time equivalent divides by the per-shard write rate." % 0.1,
        "Kill: the steady write load runs through all nodes, n2 is SIGKILLed, the load goes on through "
        "n1 and n3 for the stated seconds (the backlog n2 misses) and stops; n2 is restarted on the same "
        "data directory and port. The membership TTL is 3 s: a node down longer has its replicas "
        "re-placed on the others meanwhile and placed back when it returns.",
        "The three nodes are started one after the other. (Nodes started at the same moment on a fresh "
        "NATS cluster used to lose one, exit 2 with \"nats kv meridian_nodes: put node.nX: No responders "
        "available for request\"; Membership::start now retries that first write for up to 10 s.)",
    ]
    if cl.get("topk_differ_by_kind"):
        res.notes.append("top-%d not equal to 1 node, by query kind: %s (examples in cluster.json, "
                         "runs[1].topk_differ_examples)" % (args.cluster_k, cl["topk_differ_by_kind"]))
    for k in cl["kills"]:
        if k.get("failed_write_requests"):
            res.notes.append("kill %s s: %d write request(s) failed (in flight to n2 when it was killed: %s)" % (
                k["down_s"], k["failed_write_requests"], k["last_write_error"]))
        res.notes.append("kill %s s: members while n2 was down %s, assignment %s" % (
            k["down_s"], k["members_while_down"], k["assignment_while_down"]))
    return text_table(rows, label)
