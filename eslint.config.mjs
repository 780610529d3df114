import js from "@eslint/js";
import tseslint from "typescript-eslint";

const FUNCTIONS_SDK = {
  group: ["firebase-functions", "firebase-functions/*"],
  message: "only functions/ imports firebase-functions: business logic lives in core",
};
/** Core is pure: no Firebase or Google Cloud SDK reaches it. */
const FIREBASE_SDKS = [
  FUNCTIONS_SDK,
  {
    group: ["firebase-admin", "firebase-admin/*", "firebase", "firebase/*", "@google-cloud/*"],
    message: "core is pure TypeScript: Firestore is reached through the data layer (data/)",
  },
];
const WORKSPACES = ["core", "data", "functions", "worker", "client", "scripts", "test"];
/** A relative import into another workspace's source. */
const reaching = (...workspaces) =>
  workspaces.map((w) => ({
    group: [`**/${w}/src/**`, `**/${w}/src`],
    message: `${w}/ is another deployable: share code through core (or data), never by path`,
  }));
/** Any relative import into a workspace other than those allowed. */
const outside = (...allowed) => reaching(...WORKSPACES.filter((w) => !allowed.includes(w)));

export default tseslint.config(
  { ignores: ["**/node_modules/**", "functions/lib/**", "worker/dist/**", "client/dist/**", "client/.consumer-*/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: "readonly", console: "readonly", Buffer: "readonly", __dirname: "readonly" },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  // A product file a newcomer can read in one sitting: past 349 lines, split it by job.
  {
    files: [
      "core/src/**/*.ts",
      "data/src/**/*.ts",
      "functions/src/**/*.ts",
      "worker/src/**/*.ts",
      "client/src/**/*.ts",
    ],
    rules: { "max-lines": ["error", { max: 349 }] },
  },
  // Package boundaries (docs/testing.md "Boundaries"; test/lint/boundaries.test.ts shows each one fail).
  {
    files: ["core/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            ...FIREBASE_SDKS,
            ...outside("core"),
            { group: ["@wa-gateway/data"], message: "core is below data" },
          ],
        },
      ],
    },
  },
  {
    files: ["data/**"],
    rules: { "no-restricted-imports": ["error", { patterns: [FUNCTIONS_SDK, ...outside("core", "data")] }] },
  },
  {
    files: ["worker/**"],
    rules: { "no-restricted-imports": ["error", { patterns: [FUNCTIONS_SDK, ...reaching("functions")] }] },
  },
  { files: ["functions/**"], rules: { "no-restricted-imports": ["error", { patterns: reaching("worker") }] } },
);
