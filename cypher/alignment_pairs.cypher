// Aligned entity pairs (SAME_AS) at or above a score, best first.
// With their labels in a language where the graphs have them, the method and the
// alignment run that wrote them.
// Try: kgx query alignment_pairs -p kg=dbp_zh -p min_score=0.8
// @param kg: str = *                    the source graph (of the pair's first entity), or *
// @param min_score: float = -1e308      keep pairs scored at least this
// @param run: str = *                   an alignment run id, or * for all
// @param lang: str = en                 the language of the labels shown
// @param limit: int = 50
MATCH (a:Entity)-[s:SAME_AS]->(b:Entity)
WHERE s.score >= $min_score AND ($kg = '*' OR a.kg = $kg) AND ($run = '*' OR s.run = $run)
OPTIONAL MATCH (a)-[:HAS_NAME]->(an:Name {lang: $lang, primary: true})
OPTIONAL MATCH (b)-[:HAS_NAME]->(bn:Name {lang: $lang, primary: true})
WITH a, s, b, head(collect(an.text)) AS aName, head(collect(bn.text)) AS bName
RETURN a.kg AS kg, a.id AS id, aName AS name, b.kg AS otherKg, b.id AS otherId,
       bName AS otherName, s.score AS score, s.method AS method, s.run AS run
ORDER BY score DESC, kg, id, otherId LIMIT $limit
