// kgx's schema: applied by `kgx init` (and before every load). Idempotent: IF NOT EXISTS.
// Entities are unique per graph: (kg, id).
CREATE CONSTRAINT entity_kg_id IF NOT EXISTS FOR (e:Entity) REQUIRE (e.kg, e.id) IS UNIQUE;
CREATE INDEX entity_id IF NOT EXISTS FOR (e:Entity) ON (e.id);
CREATE INDEX entity_kg IF NOT EXISTS FOR (e:Entity) ON (e.kg);
// The entities a load created or changed, in id order (the nightly job audits and enriches
// only those): equality on loadedBy and kg, then a range on id.
CREATE INDEX entity_loaded_by IF NOT EXISTS FOR (e:Entity) ON (e.loadedBy, e.kg, e.id);
CREATE CONSTRAINT run_id IF NOT EXISTS FOR (r:Run) REQUIRE r.id IS UNIQUE;
CREATE INDEX run_kind IF NOT EXISTS FOR (r:Run) ON (r.kind, r.startedAt);
// Run history newest first (run_history), whatever the kind.
CREATE INDEX run_started IF NOT EXISTS FOR (r:Run) ON (r.startedAt);
// Names and descriptions by language (coverage, gaps) and by status (generated, suspect).
CREATE INDEX name_lang_status IF NOT EXISTS FOR (n:Name) ON (n.lang, n.status);
CREATE INDEX name_text IF NOT EXISTS FOR (n:Name) ON (n.text);
// Names an audit flagged, by its run (what `kgx runs revert` of an audit restores).
CREATE INDEX name_flagged_by IF NOT EXISTS FOR (n:Name) ON (n.flaggedBy);
CREATE INDEX description_lang_status IF NOT EXISTS FOR (d:Description) ON (d.lang, d.status);
// Predicted links and alignments by score and by the run that made them.
CREATE INDEX predicted_score IF NOT EXISTS FOR ()-[p:PREDICTED]-() ON (p.score);
CREATE INDEX predicted_run IF NOT EXISTS FOR ()-[p:PREDICTED]-() ON (p.run);
CREATE INDEX same_as_run IF NOT EXISTS FOR ()-[s:SAME_AS]-() ON (s.run);
CREATE INDEX same_as_score IF NOT EXISTS FOR ()-[s:SAME_AS]-() ON (s.score);
// Dropped (graphs made before this version): generated names and descriptions are found
// from their run through WAS_GENERATED_BY, never by a `run` property lookup; sitelinks are
// always reached from their entity, never looked up by site (with all languages, about 170
// per entity: that index cost ~10 % of a Bolt load and a fifth of the bulk index build).
DROP INDEX name_run IF EXISTS;
DROP INDEX description_run IF EXISTS;
DROP INDEX sitelink_site IF EXISTS;
