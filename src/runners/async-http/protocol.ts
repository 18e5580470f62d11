import type { JsonPath } from "../../http/json-path.js";
import type { AsyncHttpConfig } from "../../http/metadata/config.js";
import type { Answer } from "./answer.js";
import { classifyLroFinal, classifyLroKickoff, classifyLroPoll } from "./lro-protocol.js";
import { classifyStatusKickoff, classifyStatusPoll } from "./status-protocol.js";
import type { KickoffVerdict, LroMode, PollVerdict } from "./verdict.js";

/**
 * How a run reads its backend's answers: `status` (`status-protocol.ts`) or
 * the standard LRO conventions (`lro-protocol.ts`), chosen once per
 * configuration. Pure: each answer in, a verdict out.
 */
export interface Protocol {
  /** What the kickoff's answer means; `runId` is the run id read from it, if any. */
  kickoff(answer: Answer, runId: string | undefined, invocationId: string): KickoffVerdict;
  /** What a poll's answer means; `mode` is protocol `lro`'s monitor mode. */
  poll(answer: Answer, mode: LroMode | undefined): PollVerdict;
  /** What the answer to the read of a succeeded operation's result means; `status` is the operation's own. */
  final(answer: Answer, status: string): PollVerdict;
  /** The run lookup, for a backend whose acknowledgement names no run (protocol `status` only). */
  readonly lookup: RunLookup | undefined;
}

/** The settings of a run lookup: the URL listing the runs, the path of their keys, and the status URL template with `{lookup}`. */
export interface RunLookup {
  readonly url: URL;
  readonly path: JsonPath;
  readonly template: string;
}

const protocols = new WeakMap<AsyncHttpConfig, Protocol>();

/** The protocol of a configuration: one object for every run of it. */
export function protocolOf(config: AsyncHttpConfig): Protocol {
  let protocol = protocols.get(config);
  if (protocol === undefined) {
    protocol = createProtocol(config);
    protocols.set(config, protocol);
  }
  return protocol;
}

/**
 * The protocol of a run whose settings are its own copy of `parsed` (`configForInvocation`): the configuration's,
 * unless the copy has URLs of its own (`http.url` or the lookup URL with `{invocation_id}`); then made for the
 * run and not kept. The protocol reads no other setting that a copy changes.
 */
export function protocolOfRun(parsed: AsyncHttpConfig, config: AsyncHttpConfig): Protocol {
  return config.url === parsed.url && lookupUrlOf(config) === lookupUrlOf(parsed) ? protocolOf(parsed) : createProtocol(config);
}

function lookupUrlOf(config: AsyncHttpConfig): URL | undefined {
  return config.pollProtocol === "status" ? config.runLookupUrl : undefined;
}

function createProtocol(config: AsyncHttpConfig): Protocol {
  const pendingCodes = config.pollPendingCodes;
  // Only protocol `lro` reads a result after the terminal status; a run of `status` never calls `final`.
  const final = (answer: Answer, status: string): PollVerdict => classifyLroFinal(answer, status, pendingCodes);
  if (config.pollProtocol === "status") {
    const { runLookupUrl: url, runLookupPath: path, pollUrlTemplate: template } = config;
    return {
      kickoff: (answer, runId, invocationId) => classifyStatusKickoff(config, answer, runId, invocationId),
      poll: (answer) => classifyStatusPoll(config, answer),
      final,
      lookup: url === undefined || path === undefined || template === undefined ? undefined : { url, path, template },
    };
  }
  return {
    kickoff: (answer) => classifyLroKickoff(config, answer),
    // A run of protocol `lro` always has a mode: from its kickoff, or its checkpoint (the runner rejects one without).
    poll: (answer, mode) => classifyLroPoll(mode ?? "location", answer, pendingCodes),
    final,
    lookup: undefined,
  };
}
