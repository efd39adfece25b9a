#!/usr/bin/env bash
# Smoke test of a running search node (start.sh first): analysis (dutch/english),
# highlight, collapse + inner_hits, terms aggregation, post_filter, alias swap,
# painless. Needs only python3 (stdlib); creates and deletes its own
# indices (smoke-search-node-*). Exits non-zero on the first failed check.
#
#   SEARCH_NODE_PORT  HTTP port (default 9200)
set -euo pipefail
export SEARCH_NODE_PORT="${SEARCH_NODE_PORT:-9200}"
exec python3 - <<'PY'
import json, os, sys, urllib.request, urllib.error

BASE = "http://127.0.0.1:%s" % os.environ["SEARCH_NODE_PORT"]
A, B, ALIAS = "smoke-search-node-a", "smoke-search-node-b", "smoke-search-node"
failures = 0


def req(method, path, body=None, ok=(200, 201)):
    data = None
    headers = {}
    if body is not None:
        if isinstance(body, str):  # NDJSON for _bulk
            data = body.encode()
            headers["Content-Type"] = "application/x-ndjson"
        else:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
    r = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            status, text = resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    if status not in ok:
        raise SystemExit("FAIL %s %s -> HTTP %s: %s" % (method, path, status, text[:2000]))
    return json.loads(text) if text else {}


def check(name, cond, detail=""):
    global failures
    print(("ok    " if cond else "FAIL  ") + name + ("" if cond else "  " + str(detail)))
    if not cond:
        failures += 1


def ids(res):
    return sorted(h["_id"] for h in res["hits"]["hits"])


def tokens(body):
    return [t["token"] for t in req("POST", "/_analyze", body)["tokens"]]


def cleanup():
    for index in (A, B):
        req("DELETE", "/" + index, ok=(200, 404))


try:
    health = req("GET", "/_cluster/health")
except urllib.error.URLError as e:
    raise SystemExit("FAIL no node at %s (%s); run search-node/start.sh" % (BASE, e))
info = req("GET", "/")
check("node answers, version 2.19.6", info["version"]["number"] == "2.19.6", info["version"])

# --- analyzers from analysis-common -------------------------------------------
check("built-in dutch analyzer", tokens({"analyzer": "dutch", "text": "de verhalen"}) == ["verhal"],
      tokens({"analyzer": "dutch", "text": "de verhalen"}))
check("built-in english analyzer", tokens({"analyzer": "english", "text": "the running stories"}) == ["run", "stori"],
      tokens({"analyzer": "english", "text": "the running stories"}))
# Lucene's Snowball Dutch stemmer leaves "-ies" plurals alone ("innovaties" stays,
# "innovatie" stays), so the plain `dutch` analyzer does NOT match them; report it.
plain = tokens({"analyzer": "dutch", "text": "innovatie innovaties"})
print("info  plain `dutch` analyzer: innovatie/innovaties -> %s%s"
      % (plain, "" if plain[0] == plain[1] else " (no match; use a custom analyzer as below)"))

cleanup()
mapping = {
    "settings": {
        "number_of_shards": 1,
        "number_of_replicas": 0,
        "analysis": {
            "filter": {
                "dutch_stop": {"type": "stop", "stopwords": "_dutch_"},
                # innovaties -> innovatie before the Snowball stemmer
                "dutch_ie_plural": {"type": "pattern_replace", "pattern": "^(\\p{L}{2,}ie)s$", "replacement": "$1"},
                "dutch_stemmer": {"type": "stemmer", "language": "dutch"},
            },
            "analyzer": {
                "dutch_text": {
                    "type": "custom",
                    "tokenizer": "standard",
                    "filter": ["lowercase", "dutch_stop", "dutch_ie_plural", "dutch_stemmer"],
                }
            },
        },
    },
    "mappings": {
        "properties": {
            "title_nl": {"type": "text", "analyzer": "dutch_text"},
            "body_nl": {"type": "text", "analyzer": "dutch"},
            "title_en": {"type": "text", "analyzer": "english"},
            "session": {"type": "keyword"},
            "speaker": {"type": "keyword"},
            "start": {"type": "float"},
        }
    },
}
req("PUT", "/" + A, mapping)
req("PUT", "/" + B, mapping)
docs = [
    ("1", {"session": "s1", "speaker": "anna", "start": 10.0,
           "title_nl": "Een verhaal over innovatie in de zorg", "body_nl": "verhalen uit de zorg",
           "title_en": "Stories about running innovations"}),
    ("2", {"session": "s1", "speaker": "bram", "start": 50.0,
           "title_nl": "Nog meer innovatie in de zorg", "body_nl": "een verhaal",
           "title_en": "Healthcare runs on people"}),
    ("3", {"session": "s2", "speaker": "anna", "start": 5.0,
           "title_nl": "Innovatie en duurzaamheid", "body_nl": "duurzame verhalen",
           "title_en": "Sustainable innovation"}),
    ("4", {"session": "s3", "speaker": "carla", "start": 1.0,
           "title_nl": "Muziek en dans", "body_nl": "muziek",
           "title_en": "Music and dancing"}),
]
bulk = "".join(json.dumps({"index": {"_index": A, "_id": i}}) + "\n" + json.dumps(d) + "\n" for i, d in docs)
res = req("POST", "/_bulk?refresh=true", bulk)
check("bulk index", res["errors"] is False, res)
req("POST", "/_aliases", {"actions": [{"add": {"index": A, "alias": ALIAS}}]})

# --- dutch / english matching -------------------------------------------------
res = req("POST", "/%s/_search" % ALIAS, {"query": {"match": {"title_nl": "innovaties"}}})
check("dutch: 'innovaties' finds 'innovatie'", ids(res) == ["1", "2", "3"], ids(res))
res = req("POST", "/%s/_search" % ALIAS, {"query": {"match": {"body_nl": "verhaal"}}})
check("dutch: 'verhaal' finds 'verhalen'", ids(res) == ["1", "2", "3"], ids(res))
res = req("POST", "/%s/_search" % ALIAS, {"query": {"match": {"title_en": "run"}}})
check("english: 'run' finds 'running'/'runs'", ids(res) == ["1", "2"], ids(res))

# --- highlight ------------------------------------------------------------------
res = req("POST", "/%s/_search" % ALIAS, {
    "query": {"match": {"title_nl": "innovaties"}},
    "highlight": {"fields": {"title_nl": {}}, "pre_tags": ["<mark>"], "post_tags": ["</mark>"]},
})
hl = {h["_id"]: h.get("highlight", {}).get("title_nl", []) for h in res["hits"]["hits"]}
check("highlight marks the stemmed match",
      hl.get("1") == ["Een verhaal over <mark>innovatie</mark> in de zorg"], hl)

# --- collapse + inner_hits + terms aggregation + post_filter ---------------------------
res = req("POST", "/%s/_search" % ALIAS, {
    "query": {"match": {"title_nl": "innovatie"}},
    "collapse": {
        "field": "session",
        "inner_hits": {"name": "moments", "size": 5, "sort": [{"start": "asc"}]},
    },
    "aggs": {"speakers": {"terms": {"field": "speaker"}}},
    "post_filter": {"term": {"speaker": "anna"}},
    "sort": [{"_score": "desc"}, {"session": "asc"}],
})
hits = res["hits"]["hits"]
sessions = sorted(h["fields"]["session"][0] for h in hits)
check("collapse: one hit per session (post_filter speaker=anna)", sessions == ["s1", "s2"], sessions)
inner = {h["fields"]["session"][0]: [ih["_id"] for ih in h["inner_hits"]["moments"]["hits"]["hits"]] for h in hits}
check("inner_hits: moments of the session, sorted", inner == {"s1": ["1"], "s2": ["3"]}, inner)
buckets = {b["key"]: b["doc_count"] for b in res["aggregations"]["speakers"]["buckets"]}
check("terms aggregation ignores post_filter", buckets == {"anna": 2, "bram": 1}, buckets)

# --- alias swap ------------------------------------------------------------------
bulk = json.dumps({"index": {"_index": B, "_id": "9"}}) + "\n" + json.dumps(
    {"session": "s9", "speaker": "dirk", "start": 0.0, "title_nl": "Alleen in de nieuwe index",
     "body_nl": "nieuw", "title_en": "Only in the new index"}) + "\n"
req("POST", "/_bulk?refresh=true", bulk)
res = req("POST", "/_aliases", {"actions": [
    {"remove": {"index": A, "alias": ALIAS}},
    {"add": {"index": B, "alias": ALIAS}},
]})
check("_aliases swap acknowledged", res.get("acknowledged") is True, res)
aliases = req("GET", "/_alias/" + ALIAS)
check("alias now points at the new index only", sorted(aliases) == [B], sorted(aliases))
res = req("POST", "/%s/_search" % ALIAS, {"query": {"match_all": {}}})
check("search through alias sees new index", ids(res) == ["9"], ids(res))

# --- painless (optional module, loaded by the launcher) -------------------------------
try:
    res = req("POST", "/_scripts/painless/_execute", {"script": {"source": "params.a * 2", "params": {"a": 21}}})
    print("ok    painless: " + res["result"] if res.get("result") == "42" else "info  painless answered %s" % res)
except SystemExit as e:
    print("info  painless unavailable: %s" % e)

cleanup()
if failures:
    raise SystemExit("%d check(s) failed" % failures)
print("search-node smoke: all checks passed")
PY
