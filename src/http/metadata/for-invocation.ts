import { INVOCATION_ID_PLACEHOLDER, encodeUrlComponent, expandInvocationId, secretNames } from "../placeholders.js";
import { quote } from "./codecs.js";
import type { HttpRequestConfig, StatusProtocolConfig } from "./config.js";

/** A value as application/x-www-form-urlencoded writes it. */
function formEncoded(value: string): string {
  return new URLSearchParams([["", value]]).toString().slice(1);
}

// Form encoding works character by character, so in a form body the encoded placeholder stands exactly where the
// placeholder stood, and the encoded id can take its place there.
const FORM_ENCODED_PLACEHOLDER = formEncoded(INVOCATION_ID_PLACEHOLDER);

/**
 * Why `invocationId` cannot fill the `{invocation_id}` of `config`, as a phrase after "the invocation id", or
 * undefined. A header value must not hold CR, LF or NUL, nor `{secret:NAME}` (it would be resolved as the runner's
 * secret); a URL would read `.` or `..` as a path step, which no encoding prevents. (Otherwise URLs and bodies
 * take any id, encoded.)
 */
export function invocationIdProblem(config: HttpRequestConfig, invocationId: string): string | undefined {
  if (!config.usesInvocationId) return undefined;
  if (invocationId === "." || invocationId === "..") {
    const inUrl = [config.urlTemplate, lookupTemplateOf(config)].some((text) => text?.includes(INVOCATION_ID_PLACEHOLDER) === true);
    if (inUrl) return `is ${quote(invocationId)}, which a URL reads as a step in its path, not as a name`;
  }
  const unsafe = /[\r\n\0]/.test(invocationId);
  // The id is filled into a header value before its secrets are: there, `{secret:NAME}` would be read as a
  // placeholder, and the request would carry the runner's secret of that name.
  const secret = secretNames(invocationId)[0];
  if (!unsafe && secret === undefined) return undefined;
  const header = Object.keys(config.headers).find((name) => config.headers[name]!.includes(INVOCATION_ID_PLACEHOLDER));
  if (header === undefined) return undefined;
  const uses = `(its value in http.headers uses ${INVOCATION_ID_PLACEHOLDER})`;
  if (unsafe) return `contains CR, LF or NUL, which may not go in the header ${quote(header)} ${uses}`;
  return `contains {secret:${secret}}, which the header ${quote(header)} would read as the runner's secret ${secret} ${uses}`;
}

/**
 * The config of one run: `config` with `{invocation_id}` replaced by `invocationId` in `url` (URL-encoded), `body`
 * (as the content of a JSON string, or form-encoded), the `headers` values and `runLookupUrl` (resolved again against
 * the run's `url`), as an object over `config` that holds only those (every other setting is read from `config`).
 * Returns `config` itself when none of them uses the placeholder, so runs of one configuration share one config.
 * The templates keep the placeholder: `expandUrlTemplate` and `expandInvocationId` fill it when each request is
 * built.
 * @throws TypeError when `invocationIdProblem` names a problem.
 * @example configForInvocation(parsed.config, invocation.invocation_id)
 */
export function configForInvocation<C extends HttpRequestConfig>(config: C, invocationId: string): C {
  if (!config.usesInvocationId) return config;
  const problem = invocationIdProblem(config, invocationId);
  if (problem !== undefined) throw new TypeError(`The invocation id ${problem}`);
  const inUrl = encodeUrlComponent(invocationId);
  const url = config.urlTemplate === undefined ? config.url : new URL(expandInvocationId(config.urlTemplate, inUrl));
  // The run's own values over the configuration's settings, which stay where they are: a waiting run holds these
  // few, not a copy of every setting (PERFORMANCE.md, "One plan per configuration").
  const own: Record<string, unknown> = Object.create(config) as Record<string, unknown>;
  own.url = url;
  own.body = expandBody(config, invocationId);
  own.headers = expandHeaders(config.headers, invocationId);
  own.urlTemplate = undefined;
  own.usesInvocationId = false;
  const lookupTemplate = lookupTemplateOf(config);
  if (lookupTemplate !== undefined) {
    own.runLookupUrl = new URL(expandInvocationId(lookupTemplate, inUrl), url);
    own.runLookupUrlTemplate = undefined;
  }
  return own as C;
}

/** `runLookupUrlTemplate` of a protocol `status` config; undefined for any other. */
function lookupTemplateOf(config: HttpRequestConfig): string | undefined {
  return (config as Partial<Pick<StatusProtocolConfig, "runLookupUrlTemplate">>).runLookupUrlTemplate;
}

function expandBody(config: HttpRequestConfig, invocationId: string): string | undefined {
  const { body } = config;
  if (body === undefined) return undefined;
  if (config.bodyFormat === "json") return expandInvocationId(body, JSON.stringify(invocationId).slice(1, -1));
  return body.replaceAll(FORM_ENCODED_PLACEHOLDER, () => formEncoded(invocationId));
}

/** The headers with the id in their values: the same object when no value uses it. */
function expandHeaders(headers: Readonly<Record<string, string>>, invocationId: string): Readonly<Record<string, string>> {
  const values = Object.values(headers);
  if (!values.some((value) => value.includes(INVOCATION_ID_PLACEHOLDER))) return headers;
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, expandInvocationId(value, invocationId)]));
}
