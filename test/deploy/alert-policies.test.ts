import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { deployedFunctionNames, renderPolicies, UsageError, channelName } from "../../scripts/deploy/alertPolicies";

/**
 * The parts of Cloud Monitoring's AlertPolicy (monitoring v3, projects.alertPolicies) the
 * policies use, strict: a misspelt field, an unknown enum value or a malformed duration fails.
 */
const duration = z.string().regex(/^\d+s$/);
const aggregation = z.strictObject({
  alignmentPeriod: duration,
  perSeriesAligner: z.enum(["ALIGN_SUM", "ALIGN_MEAN", "ALIGN_RATE", "ALIGN_DELTA", "ALIGN_PERCENTILE_99"]),
  crossSeriesReducer: z.enum(["REDUCE_SUM", "REDUCE_MEAN", "REDUCE_MAX", "REDUCE_NONE"]).optional(),
  groupByFields: z.array(z.string()).optional(),
});
const alertPolicy = z.strictObject({
  displayName: z.string().min(1).max(512),
  documentation: z.strictObject({ content: z.string().min(1), mimeType: z.literal("text/markdown") }),
  combiner: z.enum(["AND", "OR", "AND_WITH_MATCHING_RESOURCE"]),
  severity: z.enum(["CRITICAL", "ERROR", "WARNING"]),
  conditions: z
    .array(
      z.strictObject({
        displayName: z.string().min(1),
        conditionThreshold: z.strictObject({
          filter: z.string(),
          aggregations: z.array(aggregation).min(1),
          denominatorFilter: z.string().optional(),
          denominatorAggregations: z.array(aggregation).optional(),
          comparison: z.enum(["COMPARISON_GT", "COMPARISON_GE", "COMPARISON_LT", "COMPARISON_LE"]),
          thresholdValue: z.number(),
          duration,
          trigger: z.strictObject({ count: z.number().int().positive() }),
        }),
      }),
    )
    .min(1),
  alertStrategy: z.strictObject({ autoClose: duration }),
  notificationChannels: z.array(z.string().regex(/^projects\/[a-z][a-z0-9-]+\/notificationChannels\/\d+$/)).min(1),
});

const exportsNow = () => deployedFunctionNames();

describe("Cloud Monitoring alert policies (deploy/monitoring)", () => {
  const rendered = renderPolicies({ project: "wa-gateway-prod", channel: "1234567890", functionNames: exportsNow() });

  it("render to valid alert policies, with the notification channel given", () => {
    assert.deepEqual(
      rendered.map((r) => r.file),
      ["functions-error-rate.json", "functions-errors.json", "functions-latency.json"],
    );
    for (const { file, policy } of rendered) {
      const parsed = alertPolicy.safeParse(policy);
      assert.ok(parsed.success, `${file}: ${parsed.error?.message}`);
      assert.deepEqual(policy.notificationChannels, ["projects/wa-gateway-prod/notificationChannels/1234567890"]);
    }
  });

  it("name every deployed function, as functions/src/index.ts exports them, and nothing else", () => {
    const index = readFileSync(join(__dirname, "..", "..", "functions", "src", "index.ts"), "utf8");
    const exported = [...index.matchAll(/export \{ (\w+) \}/g)].map((m) => m[1]!);
    assert.ok(exported.includes("whatsappProxySend") && exported.includes("longrunWatchdog"));
    for (const { file, policy } of rendered) {
      const filters = (policy.conditions as { conditionThreshold: { filter: string; denominatorFilter?: string } }[])
        .flatMap((c) => [c.conditionThreshold.filter, c.conditionThreshold.denominatorFilter ?? []].flat())
        .filter((f) => f.length);
      for (const filter of filters) {
        const named = [.../one_of\(([^)]*)\)/.exec(filter)![1]!.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
        assert.deepEqual(
          named,
          exported.map((n) => n.toLowerCase()),
          file,
        );
      }
    }
  });

  it("the thresholds are the runbook's: > 10 errors in 5 minutes, > 5 %, > 5 s mean", () => {
    const threshold = (file: string) => {
      const c = (
        rendered.find((r) => r.file === file)!.policy.conditions as {
          conditionThreshold: { thresholdValue: number; aggregations: { alignmentPeriod: string }[] };
        }[]
      )[0]!.conditionThreshold;
      return [c.thresholdValue, c.aggregations[0]!.alignmentPeriod];
    };
    assert.deepEqual(threshold("functions-errors.json"), [10, "300s"]);
    assert.deepEqual(threshold("functions-error-rate.json"), [0.05, "300s"]);
    assert.deepEqual(threshold("functions-latency.json"), [5000, "300s"]);
  });

  it("a channel that is not one of the project's is refused", () => {
    assert.throws(() => channelName("wa-gateway-prod", "projects/other/notificationChannels/1"), UsageError);
    assert.throws(() => channelName("wa-gateway-prod", "email:me"), UsageError);
  });
});
