// Entities of a graph that have no name in a language, optionally only those of one class
// (P31 = the class id), with their English label to recognise them.
// Try: kgx query entities_missing_name -p lang=ja -p class=Q5
// @param lang: str                      the language code
// @param kg: str = wikidata             the graph
// @param class: str = *                 a class id for P31 (e.g. Q5 for humans), or *
// @param limit: int = 50
// A name someone rejected is no name. Entities are read in id order from the (kg, id)
// index, so the first $limit gaps end the scan; with a class, from the class's P31 edges.
CALL () {
  WITH 1 AS one WHERE $class = '*'
  MATCH (e:Entity {kg: $kg}) USING INDEX SEEK e:Entity(kg, id)
  WHERE e.id > '' AND e.hash IS NOT NULL
    AND NOT EXISTS { (e)-[:HAS_NAME]->(n:Name {lang: $lang}) WHERE n.status <> 'rejected' }
  RETURN e ORDER BY e.kg, e.id LIMIT $limit
  UNION
  WITH 1 AS one WHERE $class <> '*'
  MATCH (:Entity {kg: $kg, id: $class})<-[:P31]-(e:Entity {kg: $kg})
  WHERE e.hash IS NOT NULL
    AND NOT EXISTS { (e)-[:HAS_NAME]->(n:Name {lang: $lang}) WHERE n.status <> 'rejected' }
  RETURN DISTINCT e ORDER BY e.id LIMIT $limit
}
RETURN e.id AS id,
       head([(e)-[:HAS_NAME]->(en:Name {lang: 'en', primary: true})
             WHERE en.status <> 'rejected' | en.text]) AS english
ORDER BY e.id LIMIT $limit
