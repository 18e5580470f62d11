import { BODY_CONTENT_TYPES, type HttpRequestConfig } from "../http/metadata/config.js";
import { expandSecrets, secretNames } from "../http/placeholders.js";
import type { HeaderRequest, ResolvedHttpRunnerOptions } from "../http/runner-options.js";
import { errorMessage } from "../util/error-message.js";

/** The headers of a run's requests when they are the same for every request. Shared by the runs of one configuration: copy to change. */
export interface RequestHeaders {
  /** Accept, the runner's headers, then `http.headers`: for requests without a body (polls, lookups, cancels). */
  readonly plain: Readonly<Record<string, string>>;
  /** `plain` with the body's content type, when there is a body: for the request that sends it. */
  readonly withBody: Readonly<Record<string, string>>;
}

/**
 * Builds the headers of one request, for a configuration whose headers
 * change per request (the runner's `headers` is a function, or
 * `http.headers` uses `{secret:NAME}`); `learn` is told every value resolved,
 * which is a secret. Rejects when a function throws or answers no string.
 */
export type HeaderResolver = (
  request: HeaderRequest,
  withBody: boolean,
  learn: (value: string) => void,
  refresh?: boolean,
) => Promise<Readonly<Record<string, string>>>;

/** The names of the secrets a configuration's `http.headers` use, in order, each once. */
export function secretsOf(config: HttpRequestConfig): readonly string[] {
  const names = new Set<string>();
  for (const value of Object.values(config.headers)) for (const name of secretNames(value)) names.add(name);
  return [...names];
}

/** The resolver of a configuration's headers; undefined when they are the same for every request (see `staticHeaders`). */
export function headerResolver(options: ResolvedHttpRunnerOptions, config: HttpRequestConfig): HeaderResolver | undefined {
  const runner = options.headers;
  const names = secretsOf(config);
  if (typeof runner !== "function" && names.length === 0) return undefined;
  const contentType = config.body === undefined ? undefined : BODY_CONTENT_TYPES[config.bodyFormat];
  return async (request, withBody, learn, refresh = false) => {
    const headers: Record<string, string> = { accept: "application/json" };
    if (typeof runner === "function") {
      for (const [name, value] of Object.entries(await runner(request))) {
        if (typeof value !== "string") throw new TypeError(`the runner's headers function gave header \`${name}\` a ${typeof value}, not a string`);
        headers[name.toLowerCase()] = value;
        learn(value);
      }
    } else Object.assign(headers, runner);
    const values = new Map<string, string>();
    for (const name of names) {
      const value = await resolveSecret(options.secrets, name, refresh);
      values.set(name, value);
      learn(value);
    }
    for (const [name, value] of Object.entries(config.headers)) headers[name] = expandSecrets(value, values);
    if (withBody && contentType !== undefined) headers["content-type"] = contentType;
    return headers;
  };
}

/** The headers of every request of a configuration whose headers do not change per request. */
export function staticHeaders(options: ResolvedHttpRunnerOptions, config: HttpRequestConfig): RequestHeaders {
  const runner = typeof options.headers === "function" ? {} : options.headers;
  const plain = { accept: "application/json", ...runner, ...config.headers };
  return { plain, withBody: config.body === undefined ? plain : { ...plain, "content-type": BODY_CONTENT_TYPES[config.bodyFormat] } };
}

async function resolveSecret(secrets: ResolvedHttpRunnerOptions["secrets"], name: string, refresh: boolean): Promise<string> {
  const secret = Object.hasOwn(secrets, name) ? secrets[name] : undefined;
  let value: unknown;
  try {
    value = typeof secret === "function" ? await secret({ refresh }) : secret;
  } catch (error) {
    throw new Error(`secret ${name} could not be resolved: ${errorMessage(error)}`, { cause: error });
  }
  if (typeof value !== "string") throw new TypeError(`secret ${name} resolved to a ${typeof value}, not a string`);
  return value;
}
