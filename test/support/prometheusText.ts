import parsePrometheusText from "parse-prometheus-text-format";

/** A scrape parsed by a real Prometheus text-format parser (a port of Prometheus' own), typed. */
export interface MetricFamily {
  name: string;
  help: string;
  type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
  metrics: { value?: string; count?: string; sum?: string; labels?: Record<string, string> }[];
}

export function parseScrape(text: string): Map<string, MetricFamily> {
  const families = parsePrometheusText(text) as MetricFamily[];
  return new Map(families.map((f) => [f.name, f]));
}
