// Predicted links of a graph, best first: head, relation, tail (with English labels where
// the graph has them), the model's score, the answer's rank within its query, the predict
// run that wrote it and the training run of the model it used.
// Try: kgx query predicted_links -p kg=codex_s -p pid=P27 -p min_score=5
// @param kg: str = wikidata             the graph
// @param pid: str = *                   a relation (P27), or * for all
// @param min_score: float = -1e308      keep links scored at least this
// @param max_rank: int = 1000000        keep answers ranked at most this within their query
// @param run: str = *                   a predict run id, or * for all
// @param limit: int = 50
// One run's links through the run index, all runs' through the score index (best first,
// stopping at $limit); the model and labels are looked up for the links shown only.
CALL () {
  WITH 1 AS one WHERE $run <> '*'
  MATCH (h:Entity {kg: $kg})-[p:PREDICTED {run: $run}]->(t:Entity)
  WHERE ($pid = '*' OR p.pid = $pid) AND p.score >= $min_score AND p.rank <= $max_rank
  RETURN h, p, t ORDER BY p.score DESC, h.id, t.id LIMIT $limit
  UNION
  WITH 1 AS one WHERE $run = '*'
  MATCH (h:Entity {kg: $kg})-[p:PREDICTED]->(t:Entity)
  WHERE ($pid = '*' OR p.pid = $pid) AND p.score >= $min_score AND p.rank <= $max_rank
  RETURN h, p, t ORDER BY p.score DESC, h.id, t.id LIMIT $limit
}
OPTIONAL MATCH (:Run {id: p.run})-[:USED]->(m:Run)
RETURN h.id AS head, p.pid AS pid, t.id AS tail, p.score AS score, p.rank AS rank,
       p.run AS run, m.id AS model,
       // one label each, even where a generated label stands beside a rejected one
       head([(h)-[:HAS_NAME]->(n:Name {lang: 'en', primary: true})
             WHERE n.status <> 'rejected' | n.text]) AS headLabel,
       head([(t)-[:HAS_NAME]->(n:Name {lang: 'en', primary: true})
             WHERE n.status <> 'rejected' | n.text]) AS tailLabel
ORDER BY score DESC, head, tail
