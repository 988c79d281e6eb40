// Names an audit flagged as suspect in a language, with its reasons and the run that
// flagged them (originals are never changed or deleted: only their status is).
// Try: kgx query suspect_names -p lang=ja
// @param lang: str                  the language code
// @param kg: str = wikidata         the graph
// @param limit: int = 50
MATCH (n:Name {lang: $lang, status: 'suspect'})<-[:HAS_NAME]-(e:Entity {kg: $kg})
RETURN e.id AS id, n.text AS name, n.primary AS primary, n.reasons AS reasons,
       n.auditScore AS score, n.flaggedBy AS run
ORDER BY score, id LIMIT $limit
