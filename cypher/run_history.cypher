// The most recent runs (loads, trainings, enrichments, ...) with status and counts.
// Try: kgx query run_history -p kind=load
// @param kind: str = *     a run kind (load, train, predict, align, enrich), or *
// @param limit: int = 20
MATCH (r:Run) WHERE $kind = '*' OR r.kind = $kind
RETURN r.id AS id, r.kind AS kind, r.status AS status, toString(r.startedAt) AS startedAt,
       toString(r.endedAt) AS endedAt, r.counts AS counts
ORDER BY r.startedAt DESC LIMIT $limit
