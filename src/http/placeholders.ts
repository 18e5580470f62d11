/** The placeholder of the backend's run id in a URL template (`http.poll_url_template`, `http.cancel_url_template`). */
export const RUN_ID_PLACEHOLDER = "{run_id}";

/** The placeholder of the key a run lookup found (`http.run_lookup_url`), in the status URL template. */
export const LOOKUP_PLACEHOLDER = "{lookup}";

/** What fills a URL template's placeholders. */
export interface TemplateValues {
  readonly runId: string | undefined;
  readonly lookup: string | undefined;
}

/** Expands `{run_id}` and `{lookup}` (URL-encoded) in a template and resolves it against `base`. */
export function expandUrlTemplate(template: string, values: TemplateValues, base: URL): URL {
  const expanded = template
    .replaceAll(RUN_ID_PLACEHOLDER, encodeURIComponent(values.runId ?? ""))
    .replaceAll(LOOKUP_PLACEHOLDER, encodeURIComponent(values.lookup ?? ""));
  return new URL(expanded, base);
}
