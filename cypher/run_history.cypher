// The most recent runs, with status, counts and the error of a failed one.
// Loads, trainings, predictions, alignments, enrichments, audits, nightly jobs and their
// steps. A job's steps carry the job's id: `-p job=<job run id>` lists one job's steps.
// Try: kgx query run_history -p kind=load
// @param kind: str = *     a run kind (load, train, predict, align, enrich, audit, job, job-step), or *
// @param job: str = *      a job run id (its steps and the runs they made), or *
// @param status: str = *   running, succeeded, failed, reverting, reverted, skipped (job steps), or *
// @param limit: int = 20
MATCH (r:Run) WHERE r.startedAt IS NOT NULL
  AND ($kind = '*' OR r.kind = $kind) AND ($job = '*' OR r.job = $job)
  AND ($status = '*' OR r.status = $status)
RETURN r.id AS id, r.kind AS kind, r.step AS step, r.status AS status,
       toString(r.startedAt) AS startedAt, toString(r.endedAt) AS endedAt, r.counts AS counts,
       r.job AS job, r.error AS error
ORDER BY r.startedAt DESC LIMIT $limit
