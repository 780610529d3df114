import assert from "node:assert/strict";
import { join } from "node:path";
import { ESLint } from "eslint";

const ROOT = join(__dirname, "..", "..");

/** The messages of `rule` ESLint gives `code` as if it stood at `file` (repo-relative), under the repo's config. */
async function lintErrors(file: string, code: string, rule: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === rule).map((m) => m.message);
}
const importErrors = (file: string, code: string) => lintErrors(file, code, "no-restricted-imports");

describe("package boundaries are enforced by lint", function () {
  this.timeout(60_000);

  it("core may import its own modules and zod", async () => {
    const errors = await importErrors(
      "core/src/outbox/example.ts",
      'import { z } from "zod";\nimport { paths } from "../paths";\nexport const x = [z, paths];\n',
    );
    assert.deepEqual(errors, []);
  });

  for (const [what, file, code, says] of [
    ["core importing the Admin SDK", "core/src/a.ts", 'import "firebase-admin/firestore";', /core is pure/],
    ["core importing the Web SDK", "core/src/a.ts", 'import "firebase/firestore";', /core is pure/],
    ["core importing firebase-functions", "core/src/a.ts", 'import "firebase-functions/https";', /only functions/],
    ["core importing the data layer", "core/src/a.ts", 'import "@wa-gateway/data";', /core is below data/],
    ["core reaching into the worker", "core/src/a.ts", 'import "../../worker/src/worker";', /worker\/ is another/],
    [
      "the worker reaching into functions",
      "worker/src/a.ts",
      'import "../../functions/src/stores/sendStore";',
      /functions\/ is another/,
    ],
    [
      "the worker importing firebase-functions",
      "worker/src/a.ts",
      'import "firebase-functions/params";',
      /only functions/,
    ],
    [
      "functions reaching into the worker",
      "functions/src/a.ts",
      'import "../../worker/src/config";',
      /worker\/ is another/,
    ],
  ] as const) {
    it(`refuses ${what}`, async () => {
      const errors = await importErrors(file, `${code}\n`);
      assert.equal(errors.length, 1, `expected one boundary error, got ${JSON.stringify(errors)}`);
      assert.match(errors[0] ?? "", says);
    });
  }

  it("refuses a product file of 350 lines, and lets a test file be longer", async () => {
    const code = Array.from({ length: 350 }, (_, i) => `export const x${i} = ${i};`).join("\n") + "\n";
    assert.equal((await lintErrors("worker/src/accounts/long.ts", code, "max-lines")).length, 1);
    assert.deepEqual(await lintErrors("test/fast/worker/long.test.ts", code, "max-lines"), []);
  });
});
