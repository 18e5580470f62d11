import { LOOKUP_PLACEHOLDER } from "../placeholders.js";
import type { RuleContext } from "./cross-key.js";
import type { AsyncMetadata } from "./keys.js";

/**
 * A run lookup needs its URL and its path together, and a poll template that
 * uses what it finds; `{lookup}` in a template needs a lookup.
 */
export function checkLookup(metadata: AsyncMetadata, rule: RuleContext): void {
  const url = metadata["http.run_lookup_url"];
  const path = metadata["http.run_lookup_path"];
  const valid = rule.valid("http.run_lookup_url") && rule.valid("http.run_lookup_path");
  if (valid && url !== undefined && path === undefined) {
    rule.report("http.run_lookup_path", "is required with http.run_lookup_url: the dotted path of the run's key in the lookup's answer");
  }
  if (valid && path !== undefined && url === undefined) {
    rule.report("http.run_lookup_url", "is required with http.run_lookup_path: the URL whose answer names the run");
  }
  const usingLookup = (["http.poll_url_template", "http.cancel_url_template"] as const).filter(
    (key) => rule.valid(key) && metadata[key]?.includes(LOOKUP_PLACEHOLDER) === true,
  );
  if (usingLookup.length > 0 && rule.valid("http.run_lookup_url") && url === undefined) {
    const verb = usingLookup.length === 1 ? "uses" : "use";
    rule.report("http.run_lookup_url", `is required when ${usingLookup.join(" and ")} ${verb} ${LOOKUP_PLACEHOLDER}`);
  }
  const template = metadata["http.poll_url_template"];
  if (url !== undefined && rule.valid("http.poll_url_template") && template?.includes(LOOKUP_PLACEHOLDER) !== true) {
    rule.report("http.poll_url_template", `must use ${LOOKUP_PLACEHOLDER} when http.run_lookup_url is set: the run the lookup finds is polled there`);
  }
}
