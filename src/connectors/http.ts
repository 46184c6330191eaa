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
  streamLines?(request: HttpRequest): Promise<StreamedResponse>
  recordRefusal(entry: { operation: string; method: HttpRequest['method']; url: string; body: unknown; message: string; details?: Record<string, unknown> }): Promise<string>
}

export interface HttpRequest {
  /** What this call is for, in the log: `token`, `create`, `patch`, `lookup`, `search`… */
  operation: string
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
  url: string
  headers?: Record<string, string>
  json?: unknown
  /** What the log keeps of `json` instead of the body sent (e.g. attachment bytes replaced by their size and hash). */
  loggedJson?: unknown
  form?: Record<string, string>
  /** A sentence stored with the exchange, e.g. what was left out of the payload and why. */
  note?: string
  details?: Record<string, unknown>
  /** Not counted against the connection's rate limit (e.g. an endpoint the system meters apart). */
  unpaced?: boolean
  /**
   * The system's own reading of an answer: the error it carries whatever its HTTP status (e.g.
   * ECW's writeback code in an HTTP 200), or null. An error is logged as one, with this text.
   */
  errorIn?(answer: { status: number; json: unknown }): string | null
  /**
   * Signs the request as it will go on the wire: called last, with the final method, URL, headers
   * and body text (exactly the bytes sent), and returns the headers to add (e.g. KIPU's Date,
   * Content-MD5 and Authorization). `details` (never secrets) are kept with the exchange, e.g.
   * the canonical string that was signed, so a 401 can be debugged.
   */
  sign?(request: OutgoingRequest): { headers: Record<string, string>; details?: Record<string, unknown> }
}

/** A request as the door is about to send it. */
export interface OutgoingRequest {
  method: HttpRequest['method']
  url: string
  headers: Readonly<Record<string, string>>
  body: string | undefined
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

/** A base URL as settings hold it, without the trailing slash the paths after it begin with. */
export function trimSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url
}
