import type { Models } from '../src/models';
import { createRouteDirectoryActivities } from './route-directory';

/** All activities the worker registers, wired with their dependencies. */
export function createActivities(deps: { models: Models }) {
  return {
    ...createRouteDirectoryActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
