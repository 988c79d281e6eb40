// Gaps in a language by type (P31): how many entities of each class lack a name in it.
// For each class (the target of P31): how many loaded entities of that class have no name
// in the language, out of how many, with the class's English label. Entities without P31
// are counted under class "(none)".
// Try: kgx query missing_names_by_type -p lang=ja
// @param lang: str                      the language code
// @param kg: str = wikidata             the graph
// @param limit: int = 50
// A name someone rejected is no name; an entity with two P31 statements of one class (or
// all ranks loaded) counts once in it.
MATCH (e:Entity {kg: $kg}) WHERE e.hash IS NOT NULL
WITH e, NOT EXISTS { (e)-[:HAS_NAME]->(n:Name {lang: $lang}) WHERE n.status <> 'rejected' }
        AS missing
OPTIONAL MATCH (e)-[:P31]->(c:Entity)
WITH c, count(DISTINCT e) AS entities, count(DISTINCT CASE WHEN missing THEN e END) AS missing
WHERE missing > 0
WITH c, entities, missing,
     head([(c)-[:HAS_NAME]->(cn:Name {lang: 'en', primary: true})
           WHERE cn.status <> 'rejected' | cn.text]) AS classLabel
RETURN coalesce(c.id, '(none)') AS class, classLabel, missing, entities,
       round(100.0 * missing / entities, 1) AS missingPct
ORDER BY missing DESC, class LIMIT $limit
