import { parseRouteFile, RouteFileError } from '../../src/directory/parse-route-file';
import { confirmationOf } from '../../src/directory/route-class-confirmation';
import { variant } from '../fixtures/route-files';

const CLASS_LINE = '    thresholds: { latencyMs: 50, lossPct: 2, jitterMs: 10 }\n';

/** The fixture's class `core` with these lines added; its parsed class. */
function parsedClass(extra: string) {
  return parseRouteFile(variant(CLASS_LINE, `${CLASS_LINE}${extra}`), 'routes.yaml').classes[0]!;
}

describe('confirmationOf (the detect phase of a route class)', () => {
  it('needs no probe when the debounce already counted two or more failures', () => {
    expect(confirmationOf(parsedClass(''))).toEqual({ attempts: 0, intervalMs: 1000 }); // default failuresToDown 3
    expect(confirmationOf(parsedClass('    debounce: { failuresToDown: 2 }\n'))).toEqual({ attempts: 0, intervalMs: 1000 });
  });

  it('probes twice, a second apart, when one failure puts the route down', () => {
    expect(confirmationOf(parsedClass('    debounce: { failuresToDown: 1 }\n'))).toEqual({ attempts: 2, intervalMs: 1000 });
  });

  it('takes what the class says, field by field', () => {
    expect(confirmationOf(parsedClass('    confirm: { attempts: 3, intervalMs: 250 }\n'))).toEqual({ attempts: 3, intervalMs: 250 });
    expect(confirmationOf(parsedClass('    debounce: { failuresToDown: 1 }\n    confirm: { intervalMs: 500 }\n'))).toEqual({ attempts: 2, intervalMs: 500 });
    expect(confirmationOf(parsedClass('    debounce: { failuresToDown: 4 }\n    confirm: { attempts: 1 }\n'))).toEqual({ attempts: 1, intervalMs: 1000 });
  });

  it('refuses a bad confirm with the line and field', () => {
    const problems = (extra: string) => {
      try {
        parsedClass(extra);
      } catch (err) {
        if (err instanceof RouteFileError) return err.message.split('\n');
        throw err;
      }
      throw new Error('the file was accepted');
    };
    expect(problems('    confirm: { attempts: -1 }\n')).toEqual([expect.stringMatching(/^routes\.yaml:5:\d+: classes\[0\]\.confirm\.attempts: .*(>=|at least) ?0/)]);
    expect(problems('    confirm: { attempts: 11 }\n')).toEqual([expect.stringMatching(/^routes\.yaml:5:\d+: classes\[0\]\.confirm\.attempts: .*10/)]);
    expect(problems('    confirm: { attemps: 1 }\n')).toEqual([expect.stringMatching(/^routes\.yaml:5:\d+: classes\[0\]\.confirm\.attemps: unknown field/)]);
  });
});
