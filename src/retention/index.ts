/** Route-health rollups (hourly, daily), retention of raw snapshots and rollups, and the agenda jobs that run them. */
export { rollUp, DEFAULT_SETTLE_MS, type RollUpOptions, type RollUpResult } from './roll-up';
export { applyRetention, DEFAULT_RAW_DAYS, DEFAULT_ROLLUP_DAYS, type RetentionOptions, type RetentionResult } from './apply-retention';
export { historyResolution, loadRollupHistory, rollupHistoryLines, RAW_HISTORY_MAX_SEC, HOURLY_HISTORY_MAX_SEC, type HistoryResolution, type RollupHistory } from './history';
export { startRetentionJobs, ROLLUP_JOB, RETENTION_JOB, type RetentionJobs, type RetentionJobsOptions } from './retention-jobs';
export type { HealthTotals } from './health-totals';
