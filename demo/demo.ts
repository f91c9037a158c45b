/**
 * `npm run demo` (see run-demo.ts for what the demo does). This process only starts it and
 * hands signals on (test/support/tsx-child.ts says why): the demo builds testbed 0 and must
 * always get to tear it down.
 */
import path from 'node:path';
import { launchInOwnProcessGroup } from '../test/support/tsx-child';

launchInOwnProcessGroup('npm run demo', path.join(__dirname, 'run-demo.ts'), []);
