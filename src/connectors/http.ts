/** The HTTP door a connector is given. The engine's implementation paces, times and records every call. */
export interface ConnectorHttp {
  /**
   * Sends one request and records it as an exchange. Network errors and timeouts are recorded
   * too and thrown as a retryable ConnectorError; any HTTP status is returned for the connector
   * to interpret.
   */
  request(request: HttpRequest): Promise<HttpResponse>
  /**
   * Records an outcome that never reached the wire — e.g. a payload refused by local validation —
   * so the log still says what was wrong. Returns the exchange id.
   */
  /**
   * Sends one request whose answer is too large to hold (e.g. an NDJSON export file) and hands a
   * 2xx body over line by line. The exchange records the status and how many lines and bytes
   * were read — not the body; a non-2xx answer is read and recorded whole, as `request` does.
   */
  streamLines(request: HttpRequest): Promise<StreamedResponse>
  recordRefusal(entry: { operation: string; method: HttpRequest['method']; url: string; body: unknown; message: string; details?: Record<string, unknown> }): Promise<string>
}

export interface HttpRequest {
  /** What this call is for, in the log: `token`, `create`, `patch`, `lookup`, `search`… */
  operation: string
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
  url: string
  headers?: Record<string, string>
  json?: unknown
  form?: Record<string, string>
  /** A sentence stored with the exchange, e.g. what was left out of the payload and why. */
  note?: string
  details?: Record<string, unknown>
  /** Not counted against the connection's rate limit (e.g. an endpoint the system meters apart). */
  unpaced?: boolean
}

export interface HttpResponse {
  status: number
  headers: Headers
  text: string
  exchangeId: string
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown
}

export interface StreamedResponse extends HttpResponse {
  /** A 2xx body, line by line (end-of-line removed, blank lines skipped); read it once. Empty for other statuses, whose body is in `text`/`json`. */
  lines: AsyncIterable<string>
}
