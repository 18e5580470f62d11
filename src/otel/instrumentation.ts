import { context, propagation } from "@opentelemetry/api";
import { InstrumentationBase, type InstrumentationConfig } from "@opentelemetry/instrumentation";
import type { TracingChannelSubscribers } from "node:diagnostics_channel";
import packageJson from "../../package.json" with { type: "json" };
import { channels, type EnqueueMessage, type RequestMessage, type RunMessage } from "../diagnostics/channels.js";
import { createRunInstruments, type RunInstruments } from "./metrics.js";
import { requestHandlers } from "./request-spans.js";
import { runHandlers } from "./run-spans.js";
import { guarded, type Telemetry } from "./telemetry.js";

/** Options of `ExecutorRuntimeInstrumentation`. */
export interface ExecutorRuntimeInstrumentationConfig extends InstrumentationConfig {
  /**
   * A CLIENT span for each request a run sends (kickoff, polls, cancel), with
   * `traceparent` and `tracestate` injected into the request by the global
   * propagator. Turn it off when `@opentelemetry/instrumentation-undici`
   * already traces the requests (it makes their spans, under the run span,
   * and injects the headers itself): both would send a `traceparent`.
   * @default true
   */
  requestSpans?: boolean;
}

/** The instrumentation's name, the scope of its spans and metrics. */
export const INSTRUMENTATION_NAME = "executor-runtime";

/** How the instrumentation removes what it subscribed. */
type Unsubscribe = () => void;

/**
 * An OpenTelemetry instrumentation of executor-runtime, built on the
 * library's `node:diagnostics_channel` channels: a span per run
 * (`executor.run <runtime_kind>`, the active context while the run's
 * requests are sent), a CLIENT span per request with the trace context
 * injected, the run metrics, and the trace context kept with each job that
 * `executor-runtime/bullmq` enqueues. Nothing is patched: it only subscribes.
 *
 * @example
 * registerInstrumentations({ instrumentations: [new ExecutorRuntimeInstrumentation()] });
 */
export class ExecutorRuntimeInstrumentation extends InstrumentationBase<ExecutorRuntimeInstrumentationConfig> {
  // `declare`d, never initialised: the base constructor calls enable() and
  // _updateMetricInstruments() before this class's field initialisers would
  // run, and an initialiser would then overwrite what they set.
  declare private unsubscribe: Unsubscribe | undefined;
  declare private runInstruments: RunInstruments | undefined;

  constructor(config: ExecutorRuntimeInstrumentationConfig = {}) {
    super(INSTRUMENTATION_NAME, packageJson.version, config);
  }

  /** Nothing to patch: the library publishes on diagnostics channels. */
  protected override init(): undefined {
    return undefined;
  }

  protected override _updateMetricInstruments(): void {
    this.runInstruments = createRunInstruments(this.meter);
  }

  /** Subscribes to the library's channels; a second call does nothing. */
  override enable(): void {
    super.enable();
    this.unsubscribe ??= this.subscribe();
  }

  /** Unsubscribes from the library's channels: runs started afterwards are neither traced nor counted. */
  override disable(): void {
    super.disable();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Replaces the configuration; `requestSpans` takes effect at once. */
  override setConfig(config: ExecutorRuntimeInstrumentationConfig = {}): void {
    super.setConfig(config);
    if (this.unsubscribe === undefined) return;
    this.unsubscribe();
    this.unsubscribe = this.subscribe();
  }

  private subscribe(): Unsubscribe {
    const telemetry: Telemetry = {
      tracer: () => this.tracer,
      // Set by _updateMetricInstruments, which the base constructor calls before enable().
      instruments: () => this.runInstruments as RunInstruments,
      diag: this._diag,
    };
    // A TracingChannel subscribes the handlers an object has; its types ask for all five.
    const run = runHandlers(telemetry) as TracingChannelSubscribers<RunMessage>;
    channels.run.subscribe(run);
    // Without request spans the request channel keeps no subscriber, so requests are not traced at all.
    const request = this.getConfig().requestSpans === false ? undefined : (requestHandlers(telemetry) as TracingChannelSubscribers<RequestMessage>);
    if (request !== undefined) channels.request.subscribe(request);
    const enqueue = guarded(telemetry.diag, "enqueue", (message: unknown) => {
      propagation.inject(context.active(), (message as EnqueueMessage).traceContext);
    });
    channels.enqueue.subscribe(enqueue);
    return () => {
      channels.run.unsubscribe(run);
      if (request !== undefined) channels.request.unsubscribe(request);
      channels.enqueue.unsubscribe(enqueue);
    };
  }
}
