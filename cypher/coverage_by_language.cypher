// Coverage of names and descriptions per language: how many entities of a graph have at
// least one name (label or alias) and a description in each language, by status.
// Try: kgx query coverage_by_language -p kg=wikidata -p langs=en,de,ja
// @param kg: str = wikidata     the graph (kg property of :Entity)
// @param langs: list = en,de,es,fr,ja,ru,zh     the languages to report
MATCH (e:Entity {kg: $kg}) WHERE e.hash IS NOT NULL
WITH count(e) AS total
UNWIND $langs AS lang
CALL (lang) {
  MATCH (e:Entity {kg: $kg})-[:HAS_NAME]->(n:Name {lang: lang})
  RETURN count(DISTINCT e) AS named,
         count(DISTINCT CASE WHEN n.status = 'generated' THEN e END) AS generated
}
CALL (lang) {
  MATCH (e:Entity {kg: $kg})-[:HAS_DESCRIPTION]->(:Description {lang: lang})
  RETURN count(DISTINCT e) AS described
}
RETURN lang, total, named, generated, described,
       round(100.0 * named / CASE total WHEN 0 THEN 1 ELSE total END, 1) AS namedPct,
       round(100.0 * described / CASE total WHEN 0 THEN 1 ELSE total END, 1) AS describedPct
ORDER BY lang
