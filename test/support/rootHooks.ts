/** What suites of one mocha process share (emulators booted once), stopped after all of them. */
const teardowns: (() => Promise<void>)[] = [];

/** Registers `stop` to run once every suite of this process has finished. */
export function afterAllSuites(stop: () => Promise<void>): void {
  teardowns.push(stop);
}

/** Mocha root hooks, loaded through .mocharc.json's `require`. */
export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(30_000);
    await Promise.all(teardowns.splice(0).map((stop) => stop()));
  },
};
