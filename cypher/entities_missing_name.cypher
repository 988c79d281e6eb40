// Entities of a graph that have no name in a language, optionally only those of one class
// (P31 = the class id), with their English label to recognise them.
// Try: kgx query entities_missing_name -p lang=ja -p class=Q5
// @param lang: str                      the language code
// @param kg: str = wikidata             the graph
// @param class: str = *                 a class id for P31 (e.g. Q5 for humans), or *
// @param limit: int = 50
MATCH (e:Entity {kg: $kg}) WHERE e.hash IS NOT NULL
  AND ($class = '*' OR EXISTS { (e)-[:P31]->(:Entity {kg: $kg, id: $class}) })
  AND NOT EXISTS { (e)-[:HAS_NAME]->(:Name {lang: $lang}) }
RETURN e.id AS id,
       head([(e)-[:HAS_NAME]->(en:Name {lang: 'en', primary: true})
             WHERE en.status <> 'rejected' | en.text]) AS english
ORDER BY e.id LIMIT $limit
