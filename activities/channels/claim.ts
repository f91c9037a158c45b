/**
 * How long a claim (a record inserted before a chat post, upload or channel creation) that
 * has no result yet is left to the attempt that made it: a younger one may still be at work,
 * an older one died, and the next attempt takes over.
 */
export const CLAIM_PATIENCE_MS = 30_000;

/** Whether a claim made at `claimedAt` may still belong to an attempt at work. */
export const claimIsFresh = (claimedAt: Date, now = Date.now()) => now - claimedAt.getTime() < CLAIM_PATIENCE_MS;
