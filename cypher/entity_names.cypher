// Names and descriptions of one entity, in one language or all, with where each came
// from: its status, and for generated ones the run and the sources it was derived from.
// Try: kgx query entity_names -p id=Q42 -p lang=de
// @param id: str                the entity id, e.g. Q42
// @param kg: str = wikidata     the graph
// @param lang: str = *          a language code, or * for all
MATCH (e:Entity {kg: $kg, id: $id})-[:HAS_NAME|HAS_DESCRIPTION]->(n)
WHERE $lang = '*' OR n.lang = $lang
OPTIONAL MATCH (n)-[:WAS_GENERATED_BY]->(r:Run)
OPTIONAL MATCH (n)-[d:WAS_DERIVED_FROM]->(src)
WITH e, n, r, collect(CASE WHEN src IS NULL THEN NULL ELSE
       {method: d.method, score: d.score, source: coalesce(src.text, src.title, src.id)} END)
       AS sources
RETURN CASE WHEN n:Name THEN 'name' ELSE 'description' END AS kind, n.lang AS lang,
       n.text AS text, n.primary AS primary, n.status AS status, r.id AS run, sources
ORDER BY kind DESC, lang, primary DESC, text
