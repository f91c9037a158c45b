// npm run bench -- <name> [--key value …]: runs bench/<name>.ts, whose last output line is `BENCH <name> key=value …`.
import fs from 'node:fs';
import path from 'node:path';

const [name, ...args] = process.argv.slice(2);
const available = fs.readdirSync(__dirname).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace(/\.bench\.ts$/, ''));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name> [options]\nbenchmarks: ${available.join(', ')}`);
  process.exit(2);
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bench = require(path.join(__dirname, `${name}.bench.ts`)) as { run(args: string[]): Promise<void> };
bench.run(args).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
