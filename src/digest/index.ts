/** The daily digest: yesterday's incidents, MTTA/MTTR, flappiest routes and what needs attention. */
export { buildDigest, previousUtcDay, type DigestData, type DigestIncident, type DigestModels, type FlappyRoute, type OpenTask } from './build-digest';
export { renderDigest, formatDuration, type DigestBlock, type RenderedDigest } from './render-digest';
export { startDigestJob, sendDigestOnce, dueDigestDay, DIGEST_JOB, type DigestJob, type DigestJobOptions, type DigestSender, type DigestOutcome } from './digest-job';
