import { z } from "zod";
import type { AsyncHttpCommonConfig, AsyncHttpConfig, HttpRequestConfig } from "./config.js";
import {
  ASYNC_SHAPE,
  DEFAULT_CANCELLED_STATES,
  DEFAULT_EXIT_CODE_FORMAT,
  DEFAULT_KICKOFF_MAX_RETRIES,
  DEFAULT_POLL_MAX_CONSECUTIVE_ERRORS,
  DEFAULT_RUN_OWNER_VALUE,
  DEFAULT_SUCCESS_STATES,
  REQUEST_SHAPE,
  type AsyncMetadata,
  type RequestMetadata,
} from "./keys.js";
import { INVOCATION_ID_PLACEHOLDER } from "../placeholders.js";
import { isJsonObject } from "./codecs.js";
import { crossKeyCheck } from "./cross-key.js";
import { idempotencyKeyHeaderOf, kickoffIsRepeatable } from "./protocol-rules.js";
import { checkAsync, checkBody } from "./rules.js";

/** Runs the cross-key check whatever keys failed, as long as the metadata is an object at all. */
const ALWAYS = { when: (payload: { value: unknown }) => isJsonObject(payload.value) };

/** A flat object as application/x-www-form-urlencoded (checked by the body rule first). */
function formEncode(fields: Record<string, string | number | boolean>): string {
  return new URLSearchParams(Object.entries(fields).map(([name, value]): [string, string] => [name, String(value)])).toString();
}

/** Whether a value that `configForInvocation` fills for each run uses `{invocation_id}`. */
function usesInvocationId(value: string | undefined): boolean {
  return value?.includes(INVOCATION_ID_PLACEHOLDER) === true;
}

/** The decoded request keys as HttpRequestConfig: the URL parsed, the body encoded for the wire. */
function toRequestConfig(metadata: RequestMetadata): HttpRequestConfig {
  const url = metadata["http.url"];
  const body = metadata["http.body"];
  const bodyFormat = metadata["http.body_format"];
  const headers = metadata["http.headers"];
  let wire: string | undefined;
  if (body !== undefined) {
    wire = bodyFormat === "json" ? body.text : formEncode(body.value as Record<string, string | number | boolean>);
  }
  const urlTemplate = usesInvocationId(url) ? url : undefined;
  return {
    url: new URL(url),
    method: metadata["http.method"],
    body: wire,
    bodyFormat,
    headers,
    urlTemplate,
    usesInvocationId: urlTemplate !== undefined || usesInvocationId(body?.text) || Object.values(headers).some(usesInvocationId),
  };
}

/** The decoded keys as AsyncHttpConfig, with the defaults that depend on other keys applied. */
function toAsyncConfig(metadata: AsyncMetadata): AsyncHttpConfig {
  const protocol = metadata["http.poll_protocol"];
  const common: AsyncHttpCommonConfig = {
    ...toRequestConfig(metadata),
    idempotencyKeyHeader: idempotencyKeyHeaderOf(metadata),
    kickoffMaxRetries: metadata["http.kickoff_max_retries"] ?? (kickoffIsRepeatable(metadata) ? DEFAULT_KICKOFF_MAX_RETRIES : 0),
    pollRunIdPath: metadata["http.poll_run_id_path"],
    pollInitialDelaySeconds: metadata["http.poll_initial_delay_seconds"],
    pollIntervalSeconds: metadata["http.poll_interval_seconds"],
    pollBackoff: metadata["http.poll_backoff"],
    pollMaxIntervalSeconds: metadata["http.poll_max_interval_seconds"],
    pollPendingCodes: new Set(metadata["http.poll_pending_codes"]),
    pollMaxConsecutiveErrors: metadata["http.poll_max_consecutive_errors"] ?? DEFAULT_POLL_MAX_CONSECUTIVE_ERRORS[protocol],
    cancelUrlTemplate: metadata["http.cancel_url_template"],
    cancelMethod: metadata["http.cancel_method"],
    cancelOnFailure: metadata["http.cancel_on_failure"],
    resultPath: metadata["http.result_path"],
    errorPath: metadata["http.error_path"],
    exitCodePath: metadata["http.exit_code_path"],
    exitCodeFormat: metadata["http.exit_code_format"] ?? DEFAULT_EXIT_CODE_FORMAT,
    runOwnerPath: metadata["http.run_owner_path"],
    runOwnerValue: metadata["http.run_owner_value"] ?? DEFAULT_RUN_OWNER_VALUE,
  };
  if (protocol === "lro") return { ...common, pollProtocol: "lro", finalStateVia: metadata["http.final_state_via"] };
  // The rules have checked that protocol `status` has its status path and terminal states.
  const terminal: ReadonlySet<string> = new Set(metadata["http.poll_terminal_states"]);
  const success: ReadonlySet<string> = new Set(metadata["http.poll_success_states"] ?? DEFAULT_SUCCESS_STATES);
  const outcomePath = metadata["http.poll_outcome_path"];
  const timedOut: ReadonlySet<string> = new Set(metadata["http.poll_timed_out_states"]);
  // With an outcome path, the default cancelled states are outcome words, whatever the terminal states.
  const cancelled =
    metadata["http.poll_cancelled_states"] ??
    DEFAULT_CANCELLED_STATES.filter((state) => (outcomePath !== undefined || terminal.has(state)) && !success.has(state) && !timedOut.has(state));
  const lookupUrl = metadata["http.run_lookup_url"];
  // Resolved again for each run whose URL or lookup URL has its invocation id in it.
  const lookupTemplate = lookupUrl !== undefined && (common.urlTemplate !== undefined || usesInvocationId(lookupUrl)) ? lookupUrl : undefined;
  return {
    ...common,
    usesInvocationId: common.usesInvocationId || lookupTemplate !== undefined,
    pollProtocol: "status",
    pollUrlTemplate: metadata["http.poll_url_template"],
    runLookupUrl: lookupUrl === undefined ? undefined : new URL(lookupUrl, common.url),
    runLookupUrlTemplate: lookupTemplate,
    runLookupPath: metadata["http.run_lookup_path"],
    pollStatusPath: metadata["http.poll_status_path"]!,
    pollTerminalStates: terminal,
    pollSuccessStates: success,
    pollCancelledStates: new Set(cancelled),
    pollTimedOutStates: timedOut,
    pollOutcomePath: outcomePath,
  };
}

/** The invocation's `metadata` -> HttpRequestConfig; issue paths read `metadata["http.url"]`. */
export const HttpMetadataSchema = z.object({
  metadata: z
    .looseObject(REQUEST_SHAPE)
    .superRefine(crossKeyCheck(REQUEST_SHAPE, checkBody, Object.keys(ASYNC_SHAPE)), ALWAYS)
    .transform(toRequestConfig),
});

/** The invocation's `metadata` -> AsyncHttpConfig; issue paths read `metadata["http.poll_url_template"]`. */
export const AsyncHttpMetadataSchema = z.object({
  metadata: z.looseObject(ASYNC_SHAPE).superRefine(crossKeyCheck(ASYNC_SHAPE, checkAsync), ALWAYS).transform(toAsyncConfig),
});
