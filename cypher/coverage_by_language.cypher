// Coverage of names and descriptions per language, before and after enrichment.
// How many entities of a graph have a name (label or alias) and a description in each
// language. "Before" counts what the source had (original names, including those an audit
// flagged suspect); "after" adds what kgx generated (not counting rejected ones). `named`
// and `described` count any name or description; `generated` the entities with a generated
// name.
// Try: kgx query coverage_by_language -p kg=wikidata -p langs=en,de,ja
// @param kg: str = wikidata     the graph (kg property of :Entity)
// @param langs: list = en,de,es,fr,ja,ru,zh     the languages to report
MATCH (e:Entity {kg: $kg}) WHERE e.hash IS NOT NULL
WITH count(e) AS total
UNWIND $langs AS lang
CALL (lang) {
  MATCH (n:Name) WHERE n.lang = lang AND n.status IS NOT NULL  // the (lang, status) index
  MATCH (e:Entity {kg: $kg})-[:HAS_NAME]->(n)
  WITH e, collect(n.status) AS statuses
  RETURN count(e) AS named,
         count(CASE WHEN any(s IN statuses WHERE s IN ['original', 'suspect']) THEN e END)
           AS namedBefore,
         count(CASE WHEN any(s IN statuses WHERE s <> 'rejected') THEN e END) AS namedAfter,
         count(CASE WHEN 'generated' IN statuses THEN e END) AS generated
}
CALL (lang) {
  MATCH (d:Description) WHERE d.lang = lang AND d.status IS NOT NULL
  MATCH (e:Entity {kg: $kg})-[:HAS_DESCRIPTION]->(d)
  WITH e, collect(d.status) AS statuses
  RETURN count(e) AS described,
         count(CASE WHEN any(s IN statuses WHERE s IN ['original', 'suspect']) THEN e END)
           AS describedBefore,
         count(CASE WHEN any(s IN statuses WHERE s <> 'rejected') THEN e END) AS describedAfter
}
WITH lang, total, named, namedBefore, namedAfter, generated, described, describedBefore,
     describedAfter, CASE total WHEN 0 THEN 1 ELSE total END AS denominator
RETURN lang, total, named, generated, described,
       namedBefore, namedAfter, describedBefore, describedAfter,
       round(100.0 * named / denominator, 1) AS namedPct,
       round(100.0 * described / denominator, 1) AS describedPct,
       round(100.0 * namedBefore / denominator, 1) AS namedBeforePct,
       round(100.0 * namedAfter / denominator, 1) AS namedAfterPct,
       round(100.0 * describedBefore / denominator, 1) AS describedBeforePct,
       round(100.0 * describedAfter / denominator, 1) AS describedAfterPct
ORDER BY lang
