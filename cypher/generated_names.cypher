// Names and descriptions kgx generated in a language, with confidence, run and sources.
// from: each node a name derives from, as method: what (a name, a sitelink or an entity).
// Try: kgx query generated_names -p lang=ja
// @param lang: str                  the language code
// @param kg: str = wikidata         the graph
// @param min_score: float = 0.0     only those with at least this confidence
// @param limit: int = 50
// (each label through its (lang, status) index, not every name of the graph's entities)
CALL () {
  MATCH (n:Name {lang: $lang, status: 'generated'}) RETURN n
  UNION
  MATCH (n:Description {lang: $lang, status: 'generated'}) RETURN n
}
MATCH (e:Entity {kg: $kg})-[:HAS_NAME|HAS_DESCRIPTION]->(n)
WHERE n.score >= $min_score
RETURN e.id AS id, labels(n)[0] AS kind, n.text AS text, n.primary AS primary,
       n.score AS score, n.run AS run,
       [(n)-[d:WAS_DERIVED_FROM]->(s) |
        d.method + ': ' + coalesce(s.lang + ' ' + s.text, s.site + ' ' + s.title, s.id)] AS from
ORDER BY score DESC, id LIMIT $limit
