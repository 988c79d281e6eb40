// Aligned entity pairs (SAME_AS) at or above a score, best first.
// With their labels in a language where the graphs have them, the method and the
// alignment run that wrote them.
// Try: kgx query alignment_pairs -p kg=dbp_zh -p min_score=0.8
// @param kg: str = *                    the source graph (of the pair's first entity), or *
// @param min_score: float = -1e308      keep pairs scored at least this
// @param run: str = *                   an alignment run id, or * for all
// @param lang: str = en                 the language of the labels shown
// @param limit: int = 50
// One run's edges through the run index, all runs' through the score index; labels are
// looked up for the pairs shown only, never a label someone rejected.
CALL () {
  WITH 1 AS one WHERE $run <> '*'
  MATCH (a:Entity)-[s:SAME_AS {run: $run}]->(b:Entity)
  WHERE s.score >= $min_score AND ($kg = '*' OR a.kg = $kg)
  RETURN a, s, b ORDER BY s.score DESC, a.kg, a.id, b.id LIMIT $limit
  UNION
  WITH 1 AS one WHERE $run = '*'
  MATCH (a:Entity)-[s:SAME_AS]->(b:Entity)
  WHERE s.score >= $min_score AND ($kg = '*' OR a.kg = $kg)
  RETURN a, s, b ORDER BY s.score DESC, a.kg, a.id, b.id LIMIT $limit
}
RETURN a.kg AS kg, a.id AS id,
       head([(a)-[:HAS_NAME]->(n:Name {lang: $lang, primary: true})
             WHERE n.status <> 'rejected' | n.text]) AS name,
       b.kg AS otherKg, b.id AS otherId,
       head([(b)-[:HAS_NAME]->(n:Name {lang: $lang, primary: true})
             WHERE n.status <> 'rejected' | n.text]) AS otherName,
       s.score AS score, s.method AS method, s.run AS run
ORDER BY score DESC, kg, id, otherId
