/**
 * Workflow ids are business keys (`outage:<route>`, `packet:<incident>:…`) so that anyone can
 * find a workflow by what it is about. Two installations sharing a Temporal namespace would
 * then share ids too; a deployment's prefix (STATETRACE_WORKFLOW_ID_PREFIX) keeps them apart:
 * `site-a:outage:<route>`. Without one the ids are the plain keys, as before the prefix existed,
 * so running outages keep their ids across an upgrade.
 */

/** 1–32 of `A-Z a-z 0-9 . _ -`: no `:`, so the prefix never reads as part of the key. */
export const WORKFLOW_ID_PREFIX = /^[A-Za-z0-9._-]{1,32}$/;
export const WORKFLOW_ID_PREFIX_RULE = '1-32 letters, digits, ".", "_" or "-" (empty: none)';

export function prefixedWorkflowId(prefix: string, key: string): string {
  if (prefix !== '' && !WORKFLOW_ID_PREFIX.test(prefix)) throw new Error(`workflow id prefix "${prefix}": ${WORKFLOW_ID_PREFIX_RULE}`);
  return prefix === '' ? key : `${prefix}:${key}`;
}
