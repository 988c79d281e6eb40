// The provenance trail of a name: the name, its sources and the runs that made them.
// For one entity's names (or descriptions) in a language: each name, the run that
// generated it, and every source it was derived from (WAS_DERIVED_FROM, up to three hops
// when a source was itself generated), with the method, score, the source's own entity and
// run. Original names come back with no run and no source.
// Try: kgx query name_provenance -p id=Q42 -p lang=de
// @param id: str                the entity id, e.g. Q42
// @param lang: str              the language code
// @param kg: str = wikidata     the graph
// @param text: str = *          one name's exact text, or * for all in the language
MATCH (e:Entity {kg: $kg, id: $id})-[:HAS_NAME|HAS_DESCRIPTION]->(n)
WHERE n.lang = $lang AND ($text = '*' OR n.text = $text)
OPTIONAL MATCH (n)-[:WAS_GENERATED_BY]->(r:Run)
OPTIONAL MATCH path = (n)-[:WAS_DERIVED_FROM*1..3]->(src)
WITH e, n, r, path, src, CASE WHEN path IS NULL THEN NULL ELSE last(relationships(path)) END AS d
OPTIONAL MATCH (owner:Entity)-[:HAS_NAME|HAS_DESCRIPTION|HAS_SITELINK]->(src)
OPTIONAL MATCH (src)-[:WAS_GENERATED_BY]->(sr:Run)
RETURN CASE WHEN n:Name THEN 'name' ELSE 'description' END AS kind, n.text AS text,
       n.status AS status, n.primary AS primary, r.id AS run, r.kind AS runKind,
       toString(r.startedAt) AS runStartedAt, length(path) AS depth, d.method AS method,
       d.score AS score, head([l IN labels(src) WHERE l <> 'Activity']) AS sourceKind,
       src.lang AS sourceLang, coalesce(src.text, src.title, src.id) AS source,
       coalesce(owner.kg + ':' + owner.id, src.kg + ':' + src.id) AS sourceEntity,
       sr.id AS sourceRun
ORDER BY kind DESC, text, depth, score DESC
