// Entities with a name (label or alias; original, generated or suspect, never one someone
// rejected) that is exactly TEXT, in one language or any, with their description in that
// language to tell them apart: the lookup by name, through the name_text index.
// Try: kgx query entities_named -p text="Douglas Adams"
// @param text: str              the exact name
// @param lang: str = *          a language code, or * for any
// @param kg: str = *            a graph, or * for all
// @param limit: int = 100
MATCH (n:Name {text: $text}) WHERE ($lang = '*' OR n.lang = $lang) AND n.status <> 'rejected'
MATCH (e:Entity)-[:HAS_NAME]->(n) WHERE $kg = '*' OR e.kg = $kg
OPTIONAL MATCH (e)-[:HAS_DESCRIPTION]->(d:Description {lang: n.lang})
WHERE d.status <> 'rejected'
WITH e, n, collect(d.text) AS descriptions
RETURN e.kg AS kg, e.id AS id, n.lang AS lang, n.primary AS primary, n.status AS status,
       descriptions[0] AS description
ORDER BY kg, id, lang, primary DESC
LIMIT $limit
