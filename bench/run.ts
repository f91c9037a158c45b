/**
 * npm run bench -- <name> [--quick] [--key value …]: one benchmark (bench/run-benchmark.ts),
 * whose last output line is `BENCH <name> key=value …`.
 * npm run bench -- all [--quick] [--report file.json]: every benchmark in turn (bench/run-all.ts).
 * This process only starts the run and hands signals on (test/support/tsx-child.ts says why):
 * an interrupted benchmark must always get to tear its testbed down.
 */
import path from 'node:path';
import { launchInOwnProcessGroup } from '../test/support/tsx-child';

const [name, ...args] = process.argv.slice(2);
if (name === 'all') launchInOwnProcessGroup('npm run bench', path.join(__dirname, 'run-all.ts'), args);
else launchInOwnProcessGroup('npm run bench', path.join(__dirname, 'run-benchmark.ts'), process.argv.slice(2));
