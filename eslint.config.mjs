import js from "@eslint/js";
import tseslint from "typescript-eslint";

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
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["firebase-functions", "firebase-functions/*"],
              message: "core/ never imports firebase-functions",
            },
          ],
        },
      ],
    },
  },
  { files: ["functions/**", "test/**", "scripts/**"], rules: { "no-restricted-imports": "off" } },
);
