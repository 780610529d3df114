import { appendFileSync } from "node:fs";
import { relative } from "node:path";
import Mocha from "mocha";

/**
 * The spec reporter, plus, when SUITE_DURATIONS_OUT names a file, one JSON line per test file
 * with how long its suites took, hooks included: what scripts/test-shards.ts deals files by
 * (`npm run test:durations` rewrites test/support/suiteDurations.json from a run).
 */
class DurationReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options: Mocha.MochaOptions) {
    super(runner, options);
    const out = process.env.SUITE_DURATIONS_OUT;
    if (!out) return;
    const started = new Map<Mocha.Suite, number>();
    runner.on(Mocha.Runner.constants.EVENT_SUITE_BEGIN, (suite: Mocha.Suite) => {
      if (suite.parent?.root) started.set(suite, Date.now());
    });
    runner.on(Mocha.Runner.constants.EVENT_SUITE_END, (suite: Mocha.Suite) => {
      const from = started.get(suite);
      if (from === undefined || !suite.file) return;
      appendFileSync(out, `${JSON.stringify({ file: relative(process.cwd(), suite.file), ms: Date.now() - from })}\n`);
    });
  }
}

export = DurationReporter;
