import { identityOf, type RuntimeResult } from "../contracts/result.js";
import type { RunEvent, RunOptions } from "../runners/runner.js";
import { channels, type RunMessage } from "./channels.js";

/**
 * Carries out `body` as one run on the `executor-runtime:run` channel: the
 * message is published at the start and with the result at the end, the
 * subscriber's `onEvent` gets the run's events, and its `bind` wraps the
 * run. Call it only when the channel has subscribers.
 */
export function traceRun(input: unknown, options: RunOptions, body: (options: RunOptions) => Promise<RuntimeResult>): Promise<RuntimeResult> {
  const message = runMessage(input, options);
  return channels.run.tracePromise(() => {
    const traced = message.onEvent === undefined ? options : { ...options, onEvent: bothListeners(options.onEvent, message.onEvent) };
    const bind = message.bind;
    if (bind === undefined) return body(traced);
    let pending: Promise<RuntimeResult> | undefined;
    try {
      return bind(() => (pending = body(traced)));
    } catch {
      // A subscriber's failure never stops a run: it goes on unbound (and never twice).
      return pending ?? body(traced);
    }
  }, message);
}

/** The message of a run. */
function runMessage(input: unknown, options: RunOptions): RunMessage {
  const identity = identityOf(input);
  return {
    invocationId: identity.invocation_id,
    runtimeName: identity.runtime_name,
    runtimeKind: identity.runtime_kind,
    resumed: options.resume !== undefined,
    traceContext: options.traceContext,
  };
}

function bothListeners(caller: ((event: RunEvent) => void) | undefined, subscriber: (event: RunEvent) => void): (event: RunEvent) => void {
  if (caller === undefined) return subscriber;
  return (event) => {
    try {
      subscriber(event);
    } finally {
      caller(event);
    }
  };
}
