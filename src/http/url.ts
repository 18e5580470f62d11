/** True for an http: or https: URL: the only schemes a runner requests (DESIGN.md, "Safety rules"). */
export function isHttpUrl(url: URL): boolean {
  return url.protocol === "http:" || url.protocol === "https:";
}
