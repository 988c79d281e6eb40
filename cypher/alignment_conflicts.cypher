// Alignment conflicts: entities aligned with several entities of one other graph.
// An entity aligned (SAME_AS, either direction) with several entities of the same other
// graph breaks a one-to-one alignment; each comes with its candidates (each once, with its
// best score and method and every run that aligned it), most candidates first.
// Try: kgx query alignment_conflicts -p kg=dbp_zh
// @param kg: str = *                    only entities of this graph, or *
// @param min_score: float = -1e308      ignore SAME_AS edges scored below this
// @param limit: int = 50
MATCH (a:Entity)-[s:SAME_AS]-(b:Entity)
WHERE s.score >= $min_score AND ($kg = '*' OR a.kg = $kg)
WITH a, b, s ORDER BY s.run
WITH a, b, collect(DISTINCT s.run) AS runs, collect(s) AS edges
WITH a, b, runs, reduce(best = head(edges), x IN edges |
                        CASE WHEN x.score > best.score THEN x ELSE best END) AS best
WITH a, b, best, runs ORDER BY best.score DESC, b.id
WITH a, b.kg AS otherKg,
     collect({id: b.id, score: best.score, method: best.method, runs: runs}) AS candidates
WHERE size(candidates) > 1
RETURN a.kg AS kg, a.id AS id, otherKg, size(candidates) AS count, candidates
ORDER BY count DESC, kg, id LIMIT $limit
