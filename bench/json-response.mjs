// The dispatch loop's response handler, shared by bench/client.mjs and bench/overhead.mjs.

/**
 * One response, as the dispatch loop's handler sees it: the status, the body's
 * chunks, and one JSON.parse once the body is complete. No stream, no headers
 * object. It implements the handler interface that undici's own request() uses.
 */
export class JsonResponse {
  status = 0;
  chunks = [];
  resolve;
  reject;

  constructor(resolve, reject) {
    this.resolve = resolve;
    this.reject = reject;
  }

  onConnect() {}

  onHeaders(statusCode) {
    // 1xx answers are informational.
    if (statusCode >= 200) this.status = statusCode;
    return true;
  }

  onData(chunk) {
    this.chunks.push(chunk);
    return true;
  }

  onComplete() {
    const chunks = this.chunks;
    this.chunks = [];
    let body;
    try {
      body = JSON.parse(chunks.length === 1 ? chunks[0].toString("utf8") : Buffer.concat(chunks).toString("utf8"));
    } catch (error) {
      this.reject(error);
      return;
    }
    this.resolve({ status: this.status, body });
  }

  onError(error) {
    this.reject(error);
  }
}
