/**
 * How many confirmation probes of the primary path an outage of a route class runs before it
 * pages (the detect phase), when the route file does not say. The sweeper's debounce already
 * saw `failuresToDown` consecutive failures before the outage starts: with two or more, that
 * is the confirmation, and probing again would only page later; a class that goes down on a
 * single failure gets two probes first.
 */
export interface Confirmation {
  attempts: number;
  intervalMs: number;
}

export const DEFAULT_CONFIRM_INTERVAL_MS = 1000;
const ATTEMPTS_AFTER_A_SINGLE_FAILURE = 2;

export function confirmationOf(routeClass: {
  debounce: { failuresToDown: number };
  confirm?: { attempts?: number | null; intervalMs?: number | null } | null;
}): Confirmation {
  const debounceConfirms = routeClass.debounce.failuresToDown >= 2;
  return {
    attempts: routeClass.confirm?.attempts ?? (debounceConfirms ? 0 : ATTEMPTS_AFTER_A_SINGLE_FAILURE),
    intervalMs: routeClass.confirm?.intervalMs ?? DEFAULT_CONFIRM_INTERVAL_MS,
  };
}
