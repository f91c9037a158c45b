/** FNV-1a: a stable, cheap hash so every process agrees which shard a route belongs to. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function shardOf(routeId: string, shardCount: number): number {
  return fnv1a(routeId) % shardCount;
}

/** Where in its interval a route is probed, spread so a shard's routes do not all fire at once. */
export function phaseOffsetMs(routeId: string, intervalMs: number): number {
  return fnv1a(`phase:${routeId}`) % Math.max(1, intervalMs);
}
