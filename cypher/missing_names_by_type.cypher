// Gaps in a language by type (P31): how many entities of each class lack a name in it.
// For each class (the target of P31): how many loaded entities of that class have no name
// in the language, out of how many, with the class's English label. Entities without P31
// are counted under class "(none)".
// Try: kgx query missing_names_by_type -p lang=ja
// @param lang: str                      the language code
// @param kg: str = wikidata             the graph
// @param limit: int = 50
MATCH (e:Entity {kg: $kg}) WHERE e.hash IS NOT NULL
WITH e, NOT EXISTS { (e)-[:HAS_NAME]->(:Name {lang: $lang}) } AS missing
OPTIONAL MATCH (e)-[:P31]->(c:Entity)
WITH c, count(e) AS entities, sum(CASE WHEN missing THEN 1 ELSE 0 END) AS missing
WHERE missing > 0
OPTIONAL MATCH (c)-[:HAS_NAME]->(cn:Name {lang: 'en', primary: true})
WITH c, entities, missing, head(collect(cn.text)) AS classLabel
RETURN coalesce(c.id, '(none)') AS class, classLabel, missing, entities,
       round(100.0 * missing / entities, 1) AS missingPct
ORDER BY missing DESC, class LIMIT $limit
