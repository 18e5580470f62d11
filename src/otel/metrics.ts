import type { Counter, Histogram, Meter, UpDownCounter } from "@opentelemetry/api";
import { METRICS } from "./names.js";

/** The instruments of the run metrics, created from one Meter. */
export interface RunInstruments {
  readonly runs: Counter;
  readonly runDuration: Histogram;
  readonly polls: Counter;
  readonly waits: Counter;
  readonly activeRuns: UpDownCounter;
}

// Runs last from milliseconds (a rejected input) to hours (a training job).
const DURATION_BUCKETS_S = [0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400];

/** Creates the run metrics' instruments on `meter`. */
export function createRunInstruments(meter: Meter): RunInstruments {
  return {
    runs: meter.createCounter(METRICS.runs, { description: "Finished runs, by outcome.", unit: "{run}" }),
    runDuration: meter.createHistogram(METRICS.runDuration, {
      description: "How long runs took, from the call of ExecutorRuntime.run to its result.",
      unit: "s",
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    }),
    polls: meter.createCounter(METRICS.polls, { description: "Answered status polls.", unit: "{poll}" }),
    waits: meter.createCounter(METRICS.waits, { description: "Waits of runs between requests.", unit: "{wait}" }),
    activeRuns: meter.createUpDownCounter(METRICS.activeRuns, { description: "Runs in progress.", unit: "{run}" }),
  };
}
